package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Publishers#consume} with loop-core's own publishers on a real loop. */
@Timeout(30)
class PublishersTest {
    private Loop loop;

    @BeforeEach
    void start() {
        loop = Loop.create("consume");
    }

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void takesTheItemOnTheLoopAndCompletes() throws Exception {
        List<Integer> items = new CopyOnWriteArrayList<>();
        List<Boolean> onLoop = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = Publishers.consume(BlockingPool.shared().call(loop, () -> 42), item -> {
            items.add(item);
            onLoop.add(loop.inLoop());
        });
        done.get(10, TimeUnit.SECONDS);
        assertThat(items).containsExactly(42);
        assertThat(onLoop).containsExactly(true);
    }

    @Test
    void takesEveryItemInOrder() throws Exception {
        List<Long> ticks = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> fifth = new CompletableFuture<>();
        CompletableFuture<Void> done = Publishers.consume(TimePublishers.interval(loop, Duration.ofMillis(1)), t -> {
            ticks.add(t);
            if (t == 4) {
                fifth.complete(null);
            }
        });
        fifth.get(10, TimeUnit.SECONDS);
        done.cancel(false);
        assertThat(ticks).startsWith(0L, 1L, 2L, 3L, 4L);
    }

    @Test
    void anErrorOfThePublisherFailsTheFuture() {
        CompletableFuture<Void> done = Publishers.consume(
                BlockingPool.shared().call(loop, () -> {
                    throw new IllegalStateException("no");
                }), v -> { });
        assertThatThrownBy(() -> done.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalStateException.class).hasMessage("no");
    }

    @Test
    void anActionThatThrowsCancelsTheSubscriptionAndFailsTheFuture() throws Exception {
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        CompletableFuture<Void> done = Publishers.consume(s -> s.onSubscribe(new org.reactivestreams.Subscription() {
            @Override
            public void request(long n) {
                s.onNext(1);
            }

            @Override
            public void cancel() {
                cancelled.complete(null);
            }
        }), item -> {
            throw new IllegalArgumentException("bad item " + item);
        });
        cancelled.get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> done.get(10, TimeUnit.SECONDS)).cause().hasMessage("bad item 1");
    }

    @Test
    void cancellingTheFutureCancelsTheSubscription() throws Exception {
        List<Long> ticks = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> first = new CompletableFuture<>();
        CompletableFuture<Void> done = Publishers.consume(TimePublishers.interval(loop, Duration.ZERO, Duration.ofMillis(1)), t -> {
            ticks.add(t);
            first.complete(null);
        });
        first.get(10, TimeUnit.SECONDS);
        assertThat(done.cancel(false)).isTrue();
        assertThatThrownBy(done::join).isInstanceOf(CancellationException.class);
        // Once the cancel has reached the loop (a task queued after it has run), no tick comes any more.
        CompletableFuture<Integer> seen = new CompletableFuture<>();
        loop.execute(() -> seen.complete(ticks.size()));
        int atCancel = seen.get(10, TimeUnit.SECONDS);
        CompletableFuture<Void> later = new CompletableFuture<>();
        loop.schedule(() -> later.complete(null), 20, TimeUnit.MILLISECONDS);
        later.get(10, TimeUnit.SECONDS);
        assertThat(ticks).hasSize(atCancel);
    }
}

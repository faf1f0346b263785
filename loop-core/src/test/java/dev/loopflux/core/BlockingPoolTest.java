package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

@Timeout(60)
class BlockingPoolTest {
    private final Loop loop = Loop.create("offload-test");
    private final BlockingPool pool = BlockingPool.create(1, 2);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(java.time.Duration.ofSeconds(10))).isTrue();
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    /** Records the signals of a 0..1 publisher and the threads they came on. */
    static final class Outcome<T> implements Subscriber<T> {
        final long request;
        final List<String> signals = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        final CompletableFuture<T> result = new CompletableFuture<>();
        final CompletableFuture<Subscription> subscription = new CompletableFuture<>();
        volatile T value;

        Outcome(long request) {
            this.request = request;
        }

        static <T> Outcome<T> of(Publisher<T> publisher, long request) {
            Outcome<T> o = new Outcome<>(request);
            publisher.subscribe(o);
            return o;
        }

        @Override
        public void onSubscribe(Subscription s) {
            signals.add("onSubscribe");
            threads.add(Thread.currentThread());
            subscription.complete(s);
            if (request > 0) {
                s.request(request);
            }
        }

        @Override
        public void onNext(T item) {
            signals.add("onNext");
            threads.add(Thread.currentThread());
            value = item;
        }

        @Override
        public void onError(Throwable t) {
            signals.add("onError");
            threads.add(Thread.currentThread());
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            signals.add("onComplete");
            threads.add(Thread.currentThread());
            result.complete(value);
        }

        T await() throws Exception {
            return result.get(10, TimeUnit.SECONDS);
        }

        Throwable awaitError() throws Exception {
            try {
                result.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                return e.getCause();
            }
            throw new AssertionError("expected an error, got " + signals);
        }
    }

    private static Thread loopThread(Loop loop) throws Exception {
        CompletableFuture<Thread> t = new CompletableFuture<>();
        loop.execute(() -> t.complete(Thread.currentThread()));
        return t.get(10, TimeUnit.SECONDS);
    }

    /** Occupies the pool's only thread until {@link #release}; returns once it runs. */
    private void blockTheThread() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        pool.execute(() -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theWorkRunsOnAPoolThreadAndItsResultComesOnTheLoop() throws Exception {
        CompletableFuture<Thread> worker = new CompletableFuture<>();
        Outcome<String> outcome = Outcome.of(pool.call(loop, () -> {
            worker.complete(Thread.currentThread());
            return "done";
        }), 1);

        assertThat(outcome.await()).isEqualTo("done");
        assertThat(outcome.signals).containsExactly("onSubscribe", "onNext", "onComplete");
        assertThat(outcome.threads).containsOnly(loopThread(loop));
        Thread t = worker.get();
        assertThat(t.getName()).startsWith("loopflux-offload-");
        assertThat(t.isDaemon()).isTrue();
    }

    @Test
    void nullIsEmptyAndAThrowIsOnError() throws Exception {
        Outcome<Object> empty = Outcome.of(pool.call(loop, () -> null), 1);
        assertThat(empty.await()).isNull();
        assertThat(empty.signals).containsExactly("onSubscribe", "onComplete");

        Exception boom = new java.io.IOException("boom");
        Outcome<Object> failed = Outcome.of(pool.call(loop, () -> {
            throw boom;
        }), 1);
        assertThat(failed.awaitError()).isSameAs(boom);
        assertThat(failed.threads).containsOnly(loopThread(loop));
    }

    @Test
    void nothingRunsBeforeTheFirstRequest() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        Outcome<Boolean> outcome = Outcome.of(pool.call(loop, () -> ran.getAndSet(true)), 0);
        outcome.subscription.get(10, TimeUnit.SECONDS);
        Outcome.of(pool.call(loop, () -> "marker"), 1).await();
        assertThat(ran).isFalse();
        outcome.subscription.get().request(1);
        assertThat(outcome.await()).isFalse();
    }

    @Test
    void overTheBoundTheCallFailsWithRejectionNamingTheBound() throws Exception {
        blockTheThread();
        Outcome<String> first = Outcome.of(pool.call(loop, () -> "a"), 1);
        Outcome<String> second = Outcome.of(pool.call(loop, () -> "b"), 1);
        Outcome<String> third = Outcome.of(pool.call(loop, () -> "c"), 1);

        Throwable error = third.awaitError();
        assertThat(error).isInstanceOf(RejectedExecutionException.class)
                .hasMessage("blocking pool is full: 2 tasks already wait for its 1 threads (queueCapacity=2)");
        assertThat(third.threads).containsOnly(loopThread(loop));
        assertThat(pool.queued()).isEqualTo(2);
        release.countDown();
        assertThat(first.await()).isEqualTo("a");
        assertThat(second.await()).isEqualTo("b");
        assertThatThrownBy(() -> BlockingPool.create(0, 1)).hasMessage("threads not in [1, 4096]: 0");
        assertThatThrownBy(() -> BlockingPool.create(1, 0)).hasMessage("queueCapacity < 1: 0");
    }

    @Test
    void cancellingBeforeItRunsTakesTheWorkOffTheQueue() throws Exception {
        blockTheThread();
        AtomicBoolean ran = new AtomicBoolean();
        Outcome<Boolean> outcome = Outcome.of(pool.call(loop, () -> ran.getAndSet(true)), 1);
        while (pool.queued() == 0) { // the request hops onto the loop, which queues the work
            loopThread(loop);
        }
        outcome.subscription.get().cancel();

        assertThat(pool.queued()).as("removed at once").isZero();
        release.countDown();
        assertThat(Outcome.of(pool.call(loop, () -> "after"), 1).await()).isEqualTo("after");
        loopThread(loop);
        assertThat(ran).isFalse();
        assertThat(outcome.signals).containsExactly("onSubscribe");
    }

    @Test
    void cancellingWhileItRunsInterruptsItsThread() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        Outcome<String> outcome = Outcome.of(pool.call(loop, () -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(); // blocks until interrupted
                interrupted.complete(false);
            } catch (InterruptedException e) {
                interrupted.complete(true);
            }
            return "late";
        }), 1);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        outcome.subscription.get().cancel();

        assertThat(interrupted.get(10, TimeUnit.SECONDS)).isTrue();
        Outcome<Boolean> next = Outcome.of(pool.call(loop, () -> Thread.currentThread().isInterrupted()), 1);
        assertThat(next.await()).as("the interrupt does not leak to the next task").isFalse();
        loopThread(loop);
        assertThat(outcome.signals).containsExactly("onSubscribe");
    }

    @Test
    void cancelRacingTheResultGivesAPrefixOfTheSignalsAndNothingAfter() throws Exception {
        BlockingPool wide = BlockingPool.create(2, 1000);
        try {
            List<Outcome<Integer>> outcomes = new java.util.ArrayList<>();
            for (int i = 0; i < 500; i++) {
                int value = i;
                Outcome<Integer> outcome = Outcome.of(wide.call(loop, () -> value), 1);
                outcome.subscription.get(10, TimeUnit.SECONDS).cancel();
                outcomes.add(outcome);
            }
            Outcome.of(wide.call(loop, () -> 0), 1).await();
            loopThread(loop); // whatever the cancelled calls hand back has been delivered or dropped by now
            for (Outcome<Integer> o : outcomes) {
                assertThat(List.of("onSubscribe", "onNext", "onComplete")).startsWith(o.signals.toArray(new String[0]));
            }
        } finally {
            wide.shutdown();
        }
    }

    @Test
    void aShutDownPoolFailsEachSubscriberAtOnce() throws Exception {
        pool.shutdown();
        Outcome<String> outcome = Outcome.of(pool.call(loop, () -> "never"), 0);
        assertThat(outcome.awaitError()).isInstanceOf(RejectedExecutionException.class).hasMessage("blocking pool is shut down");
        assertThat(outcome.threads).containsOnly(loopThread(loop));
        assertThatThrownBy(() -> BlockingPool.shared().shutdown()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aNonPositiveRequestIsAnError() throws Exception {
        for (long n : new long[] {0, -1, Long.MIN_VALUE}) {
            Outcome<String> outcome = Outcome.of(pool.call(loop, () -> "x"), 0);
            outcome.subscription.get(10, TimeUnit.SECONDS).request(n);
            assertThat(outcome.awaitError()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("§3.9 violated: request(" + n + ") must be positive");
        }
    }

    @Test
    void theDefaultsAreDocumented() {
        BlockingPool shared = BlockingPool.shared();
        assertThat(shared.threads()).isEqualTo(Math.max(4, Runtime.getRuntime().availableProcessors()));
        assertThat(shared.queueCapacity()).isEqualTo(10_000);
        assertThat(BlockingPool.shared()).isSameAs(shared);
    }
}

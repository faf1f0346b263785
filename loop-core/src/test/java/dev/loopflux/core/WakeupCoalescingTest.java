package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WakeupCoalescingTest {

    /** Counts the wake-ups the loop asks for, and otherwise behaves as the JDK does. */
    static final class CountingStrategy implements SelectStrategy {
        final AtomicLong wakeups = new AtomicLong();

        @Override
        public int select(Selector selector, Consumer<SelectionKey> action, long timeoutMillis) throws IOException {
            return SelectStrategy.DEFAULT.select(selector, action, timeoutMillis);
        }

        @Override
        public void wakeup(Selector selector) {
            wakeups.incrementAndGet();
            selector.wakeup();
        }
    }

    @Test
    void aBurstOfOneMillionCrossThreadTasksCostsFarFewerWakeups() throws Exception {
        CountingStrategy strategy = new CountingStrategy();
        Loop loop = Loop.create(LoopOptions.builder().name("burst").selectStrategy(strategy).build());
        try {
            int n = 1_000_000;
            CountDownLatch done = new CountDownLatch(1);
            long[] ran = new long[1];
            Runnable task = () -> {
                if (++ran[0] == n) {
                    done.countDown();
                }
            };
            for (int i = 0; i < n; i++) {
                loop.execute(task);
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            // tasksRun is added per batch, after the batch: read it from a timer, which runs
            // after the batch that held the last task has been counted.
            CompletableFuture<LoopMetrics> metrics = new CompletableFuture<>();
            loop.schedule(() -> metrics.complete(loop.metrics()), 0, TimeUnit.NANOSECONDS);
            LoopMetrics m = metrics.get(10, TimeUnit.SECONDS);
            assertThat(strategy.wakeups.get()).isLessThan(n / 100);
            assertThat(loop.metrics().wakeups()).isEqualTo(strategy.wakeups.get());
            assertThat(m.tasksRun()).isGreaterThanOrEqualTo(n);
        } finally {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void tasksQueuedFromTheLoopThreadNeverWakeIt() throws Exception {
        CountingStrategy strategy = new CountingStrategy();
        Loop loop = Loop.create(LoopOptions.builder().name("self").selectStrategy(strategy).build());
        try {
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(() -> {
                long before = strategy.wakeups.get();
                int[] left = {10_000};
                Runnable[] self = new Runnable[1];
                self[0] = () -> {
                    if (--left[0] == 0) {
                        if (strategy.wakeups.get() == before) {
                            done.countDown();
                        }
                    } else {
                        loop.execute(self[0]);
                    }
                };
                loop.execute(self[0]);
            });
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTaskSubmittedWhileTheLoopSleepsIsRunPromptly() throws Exception {
        Loop loop = Loop.create("sleeper");
        try {
            for (int i = 0; i < 2_000; i++) {
                CountDownLatch ran = new CountDownLatch(1);
                loop.execute(ran::countDown);
                assertThat(ran.await(5, TimeUnit.SECONDS)).as("round %d", i).isTrue();
            }
        } finally {
            loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
    }
}

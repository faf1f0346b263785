package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Timers set by a run take their deadline when the run ends (one clock reading for all of them):
 * never early, in order, cancellable before the run ends. On a real loop, and on a
 * {@link TestLoop} whose runs move its manual clock, where it is exact.
 */
@Timeout(30)
class DeferredTimerTest {
    private final Loop loop = Loop.create("deferred");

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTimerSetByATaskNeverFiresBeforeItsDelayFromTheCall() throws Exception {
        for (int round = 0; round < 20; round++) {
            CompletableFuture<long[]> times = new CompletableFuture<>();
            loop.execute(() -> {
                long set = System.nanoTime();
                loop.schedule(() -> times.complete(new long[] {set, System.nanoTime()}), 3, TimeUnit.MILLISECONDS);
                long end = System.nanoTime() + 1_000_000;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait(); // the rest of the run: the timer's delay counts from its end
                }
            });
            long[] t = times.get(10, TimeUnit.SECONDS);
            assertThat(t[1] - t[0]).as("round %d", round).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(3));
        }
    }

    @Test
    void manyTimersSetByOneTaskFireInDeadlineThenCallOrder() throws Exception {
        List<Integer> fired = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(1000);
        loop.execute(() -> {
            for (int i = 999; i >= 0; i--) {
                int id = i;
                loop.schedule(() -> {
                    fired.add(id);
                    all.countDown();
                }, 1 + (i % 10), TimeUnit.MILLISECONDS);
            }
        });
        assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i < fired.size(); i++) {
            int previous = fired.get(i - 1);
            int current = fired.get(i);
            int previousDelay = previous % 10;
            int currentDelay = current % 10;
            assertThat(previousDelay < currentDelay || (previousDelay == currentDelay && previous > current))
                    .as("%d before %d", previous, current).isTrue();
        }
    }

    @Test
    void aTimerCancelledInTheRunThatSetItNeverRunsAndIsNotPending() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        CompletableFuture<Integer> pendingAfter = new CompletableFuture<>();
        loop.execute(() -> {
            TimerHandle handle = loop.schedule(() -> ran.set(true), 1, TimeUnit.MILLISECONDS);
            assertThat(handle.cancel()).isTrue();
        });
        loop.schedule(() -> pendingAfter.complete(loop.metrics().pendingTimers()), 20, TimeUnit.MILLISECONDS);
        assertThat(pendingAfter.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(ran).isFalse();
        CompletableFuture<Void> later = new CompletableFuture<>();
        loop.schedule(() -> later.complete(null), 5, TimeUnit.MILLISECONDS);
        later.get(10, TimeUnit.SECONDS);
        assertThat(ran).isFalse();
    }

    @Test
    void aTimerSetByAnIoHandlerOrATimerIsInsertedToo() throws Exception {
        CompletableFuture<Duration> chained = new CompletableFuture<>();
        long start = System.nanoTime();
        loop.execute(() -> loop.schedule(() -> loop.schedule(
                () -> chained.complete(Duration.ofNanos(System.nanoTime() - start)), 2, TimeUnit.MILLISECONDS),
                2, TimeUnit.MILLISECONDS));
        assertThat(chained.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(Duration.ofMillis(4));
    }

    @Test
    void underAManualClockATimerSetByARunIsDueItsDelayAfterTheRunEndsNeverSooner() {
        try (TestLoop test = TestLoop.create()) {
            ManualClock clock = test.manualClock();
            List<Long> firedAt = new ArrayList<>();
            long[] setAt = new long[1];
            test.execute(() -> {
                setAt[0] = clock.nanoTime();
                test.schedule(() -> firedAt.add(clock.nanoTime()), 10, TimeUnit.MILLISECONDS);
                clock.advance(Duration.ofMillis(3)); // the rest of the run takes 3 ms
            });
            test.runPending();
            long ranUntil = setAt[0] + Duration.ofMillis(3).toNanos();
            assertThat(clock.nanoTime()).isEqualTo(ranUntil);

            test.advanceTimeBy(Duration.ofMillis(10).minusNanos(1));
            assertThat(firedAt).as("10 ms after the call, but not yet after the run").isEmpty();
            test.advanceTimeBy(Duration.ofNanos(1));
            assertThat(firedAt).containsExactly(ranUntil + Duration.ofMillis(10).toNanos());
        }
    }

    @Test
    void underAManualClockTimersSetByOneRunShareItsEndAndKeepTheirCallOrder() {
        try (TestLoop test = TestLoop.create()) {
            ManualClock clock = test.manualClock();
            List<String> fired = new ArrayList<>();
            test.execute(() -> {
                test.schedule(() -> fired.add("b-5ms"), 5, TimeUnit.MILLISECONDS);
                clock.advance(Duration.ofMillis(1));
                test.schedule(() -> fired.add("a-4ms"), 4, TimeUnit.MILLISECONDS);
                test.schedule(() -> fired.add("c-5ms"), 5, TimeUnit.MILLISECONDS);
                TimerHandle dropped = test.schedule(() -> fired.add("cancelled"), 1, TimeUnit.MILLISECONDS);
                assertThat(dropped.cancel()).isTrue();
                clock.advance(Duration.ofMillis(1));
            });
            test.runPending();
            assertThat(test.metrics().pendingTimers()).isEqualTo(3);
            // From the test's own code, between runs, the clock is read at the call: due 4 ms from now too.
            test.schedule(() -> fired.add("d-4ms-from-the-test"), 4, TimeUnit.MILLISECONDS);

            test.advanceTimeBy(Duration.ofMillis(4).minusNanos(1));
            assertThat(fired).isEmpty();
            test.advanceTimeBy(Duration.ofNanos(1));
            assertThat(fired).containsExactly("a-4ms", "d-4ms-from-the-test");
            test.advanceTimeBy(Duration.ofMillis(1));
            assertThat(fired).containsExactly("a-4ms", "d-4ms-from-the-test", "b-5ms", "c-5ms");
            assertThat(test.metrics().pendingTimers()).isZero();
        }
    }

    @Test
    void underAManualClockAFixedRateTimerSetByATimerCountsItsFirstDelayFromThatTimersEnd() {
        try (TestLoop test = TestLoop.create()) {
            ManualClock clock = test.manualClock();
            List<Long> ticks = new ArrayList<>();
            test.schedule(() -> {
                test.scheduleAtFixedRate(() -> ticks.add(clock.nanoTime()), 2, 2, TimeUnit.SECONDS);
                clock.advance(Duration.ofMillis(500)); // a slow timer task
            }, 1, TimeUnit.SECONDS);
            test.advanceTimeBy(Duration.ofSeconds(8));
            long s = Duration.ofSeconds(1).toNanos();
            long end = s + s / 2;
            assertThat(ticks).containsExactly(end + 2 * s, end + 4 * s, end + 6 * s);
        }
    }
}

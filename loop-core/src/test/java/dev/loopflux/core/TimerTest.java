package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TimerTest {
    private final RecordingErrorHandler errors = new RecordingErrorHandler();
    private final TestLoop loop = TestLoop.create(new ManualClock(),
            LoopOptions.builder().name("timers").errorHandler(errors).build());

    @AfterEach
    void closeLoop() {
        loop.close();
    }

    @Test
    void aOneShotTimerFiresExactlyAtItsDeadlineAndNotBefore() {
        List<Long> firedAt = new ArrayList<>();
        TimerHandle handle = loop.schedule(() -> firedAt.add(loop.nanoTime()), 100, TimeUnit.MILLISECONDS);

        loop.advanceTimeBy(Duration.ofMillis(100).minusNanos(1));
        assertThat(firedAt).isEmpty();
        assertThat(handle.isDone()).isFalse();
        assertThat(loop.metrics().pendingTimers()).isEqualTo(1);

        loop.advanceTimeBy(Duration.ofNanos(1));
        assertThat(firedAt).containsExactly(Duration.ofMillis(100).toNanos());
        assertThat(handle.isDone()).isTrue();
        assertThat(handle.isCancelled()).isFalse();
        assertThat(handle.cancel()).as("a one-shot timer that ran cannot be cancelled").isFalse();

        loop.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(firedAt).hasSize(1);
        assertThat(loop.metrics().pendingTimers()).isZero();
        assertThat(loop.metrics().timersRun()).isEqualTo(1);
    }

    @Test
    void timersWithEqualDeadlinesRunInTheOrderTheyWereScheduled() {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int id = i;
            loop.schedule(() -> order.add(id), 5, TimeUnit.SECONDS);
        }
        // Later deadlines scheduled in between must not disturb the FIFO of the equal ones.
        loop.schedule(() -> order.add(-1), 6, TimeUnit.SECONDS);
        loop.schedule(() -> order.add(-2), 4, TimeUnit.SECONDS);

        loop.advanceTimeBy(Duration.ofSeconds(6));

        List<Integer> expected = new ArrayList<>();
        expected.add(-2);
        for (int i = 0; i < 200; i++) {
            expected.add(i);
        }
        expected.add(-1);
        assertThat(order).isEqualTo(expected);
    }

    @Test
    void aFixedRateTimerAdvancedByFivePeriodsRunsFiveTimesEachAtItsOwnDeadline() {
        List<Long> runs = new ArrayList<>();
        long start = loop.nanoTime();
        loop.scheduleAtFixedRate(() -> runs.add(loop.nanoTime() - start), 1, 1, TimeUnit.SECONDS);

        loop.advanceTimeBy(Duration.ofSeconds(5));

        long s = Duration.ofSeconds(1).toNanos();
        assertThat(runs).containsExactly(s, 2 * s, 3 * s, 4 * s, 5 * s);
        assertThat(loop.metrics().timersRun()).isEqualTo(5);
        assertThat(loop.metrics().pendingTimers()).isEqualTo(1);
    }

    @Test
    void missedFixedRateRunsHappenBackToBackAndNoneIsSkipped() {
        AtomicInteger runs = new AtomicInteger();
        loop.scheduleAtFixedRate(runs::incrementAndGet, 1, 1, TimeUnit.SECONDS);
        // Jump the clock without running anything: the loop "fell behind" by five periods.
        loop.manualClock().advance(Duration.ofSeconds(5));
        loop.runPending();
        assertThat(runs).hasValue(5);
        loop.advanceTimeBy(Duration.ofMillis(999));
        assertThat(runs).hasValue(5);
        loop.advanceTimeBy(Duration.ofMillis(1));
        assertThat(runs).hasValue(6);
    }

    @Test
    void aTimerCancelledBeforeItFiresNeverRuns() {
        AtomicBoolean ran = new AtomicBoolean();
        TimerHandle handle = loop.schedule(() -> ran.set(true), 1, TimeUnit.SECONDS);
        assertThat(handle.isCancelled()).isFalse();
        assertThat(handle.isDone()).isFalse();

        assertThat(handle.cancel()).isTrue();
        assertThat(handle.cancel()).as("second cancel").isFalse();
        assertThat(handle.isCancelled()).isTrue();
        assertThat(handle.isDone()).isTrue();
        assertThat(loop.metrics().pendingTimers()).isZero();

        loop.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(ran).isFalse();
        assertThat(loop.metrics().timersRun()).isZero();
    }

    @Test
    void aTimerCanBeCancelledFromAnotherThread() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        TimerHandle handle = loop.schedule(() -> ran.set(true), 1, TimeUnit.SECONDS);
        loop.advanceTimeBy(Duration.ofMillis(500));
        AtomicBoolean cancelled = new AtomicBoolean();
        Thread other = new Thread(() -> cancelled.set(handle.cancel()), "canceller");
        other.start();
        other.join(10_000);
        assertThat(cancelled).isTrue();
        loop.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(ran).isFalse();
        assertThat(handle.isCancelled()).isTrue();
        assertThat(loop.metrics().pendingTimers()).isZero();
        assertThat(loop.timers.isEmpty()).isTrue();
    }

    @Test
    void aFixedRateTimerCancelledFromInsideItsOwnTaskStops() {
        AtomicReference<TimerHandle> self = new AtomicReference<>();
        AtomicInteger runs = new AtomicInteger();
        AtomicBoolean cancelResult = new AtomicBoolean();
        self.set(loop.scheduleAtFixedRate(() -> {
            if (runs.incrementAndGet() == 3) {
                cancelResult.set(self.get().cancel());
            }
        }, 1, 1, TimeUnit.SECONDS));

        loop.advanceTimeBy(Duration.ofSeconds(10));

        assertThat(runs).hasValue(3);
        assertThat(cancelResult).isTrue();
        assertThat(self.get().isCancelled()).isTrue();
        assertThat(loop.metrics().pendingTimers()).isZero();
        assertThat(loop.timers.isEmpty()).isTrue();
    }

    @Test
    void aHundredThousandTimersScheduledThenCancelledLeaveNothingPendingAndAnEmptyHeap() throws Exception {
        Random random = new Random(42);
        List<TimerHandle> handles = new ArrayList<>();
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 100_000; i++) {
            handles.add(loop.schedule(ran::incrementAndGet, 1 + random.nextInt(1_000_000), TimeUnit.MILLISECONDS));
        }
        assertThat(loop.metrics().pendingTimers()).isEqualTo(100_000);
        for (TimerHandle handle : handles) {
            assertThat(handle.cancel()).isTrue();
        }
        assertThat(loop.metrics().pendingTimers()).isZero();

        loop.runPending();
        assertThat(loop.timers.isEmpty()).isTrue();
        assertThat(heapSize(loop.timers)).isZero();

        loop.advanceTimeBy(Duration.ofSeconds(1_001));
        assertThat(ran).hasValue(0);
        assertThat(loop.metrics().pendingTimers()).isZero();
    }

    @Test
    void theTimerQueuePurgesCancelledTimersOnceTheyAreHalfTheHeap() throws Exception {
        TimerQueue queue = new TimerQueue(new ManualClock());
        List<ScheduledTimer> all = new ArrayList<>();
        List<Long> ranAt = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            long deadline = 1_000 + i;
            ScheduledTimer t = new ScheduledTimer(queue, () -> ranAt.add(deadline), deadline, 0);
            all.add(t);
            queue.add(t);
        }
        int initialCapacity = heapCapacity(queue);
        // Cancel all but every 1000th, leaving the earliest live so nothing is dropped at the top.
        for (int i = 0; i < all.size(); i++) {
            if (i % 1_000 != 0) {
                assertThat(all.get(i).cancel()).isTrue();
            }
        }
        assertThat(queue.pending()).isEqualTo(100);
        assertThat(heapSize(queue)).as("cancellation is lazy").isEqualTo(100_000);

        queue.purgeIfWorthIt();

        assertThat(heapSize(queue)).isEqualTo(100);
        assertThat(queue.pending()).isEqualTo(100);
        assertThat(heapCapacity(queue)).isLessThan(initialCapacity / 4);
        int ran = queue.runDue(Long.MAX_VALUE >> 2, Runnable::run);
        assertThat(ran).isEqualTo(100);
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < 100_000; i += 1_000) {
            expected.add(1_000L + i);
        }
        assertThat(ranAt).isEqualTo(expected);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.pending()).isZero();
    }

    @Test
    void theTimerQueueDoesNotPurgeWhileFewerThanHalfAreCancelled() throws Exception {
        TimerQueue queue = new TimerQueue(new ManualClock());
        List<ScheduledTimer> all = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            ScheduledTimer t = new ScheduledTimer(queue, () -> { }, 10 + i, 0);
            all.add(t);
            queue.add(t);
        }
        for (int i = 1; i < 499; i++) {
            all.get(i).cancel();
        }
        queue.purgeIfWorthIt();
        assertThat(heapSize(queue)).isEqualTo(1_000);
        all.get(499).cancel();
        all.get(500).cancel();
        queue.purgeIfWorthIt();
        assertThat(heapSize(queue)).isEqualTo(500);
        assertThat(queue.pending()).isEqualTo(500);
    }

    @Test
    void aTimerScheduledFromAForeignThreadOnARealLoopFires() throws Exception {
        Loop real = Loop.create("foreign-timer");
        try {
            CountDownLatch fired = new CountDownLatch(1);
            AtomicBoolean onLoop = new AtomicBoolean();
            long before = System.nanoTime();
            real.schedule(() -> {
                onLoop.set(real.inLoop());
                fired.countDown();
            }, 20, TimeUnit.MILLISECONDS);
            assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(System.nanoTime() - before).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
            assertThat(onLoop).isTrue();
        } finally {
            real.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void cancellingRacesFiringAndExactlyOneOfThemWins() throws Exception {
        Loop real = Loop.create("cancel-race");
        try {
            int cancelWins = 0;
            int runWins = 0;
            for (int round = 0; round < 1_000; round++) {
                AtomicBoolean ran = new AtomicBoolean();
                CountDownLatch after = new CountDownLatch(1);
                TimerHandle handle = real.schedule(() -> ran.set(true), 0, TimeUnit.NANOSECONDS);
                // Same thread, later or equal deadline, later sequence: runs after the first would.
                real.schedule(after::countDown, 0, TimeUnit.NANOSECONDS);
                boolean cancelled = handle.cancel();
                assertThat(after.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(ran.get()).as("round %d: cancelled=%s", round, cancelled).isNotEqualTo(cancelled);
                assertThat(handle.isCancelled()).isEqualTo(cancelled);
                assertThat(handle.isDone()).isTrue();
                if (cancelled) {
                    cancelWins++;
                } else {
                    runWins++;
                }
            }
            assertThat(cancelWins + runWins).isEqualTo(1_000);
            CountDownLatch settled = new CountDownLatch(1);
            real.execute(settled::countDown);
            assertThat(settled.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(real.metrics().pendingTimers()).isZero();
        } finally {
            real.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aHundredThousandTimersScheduledAndCancelledFromAForeignThreadLeaveNothingPending() throws Exception {
        Loop real = Loop.create("foreign-cancel");
        try {
            List<TimerHandle> handles = new ArrayList<>();
            AtomicInteger ran = new AtomicInteger();
            for (int i = 0; i < 100_000; i++) {
                handles.add(real.schedule(ran::incrementAndGet, 1 + i % 3_600, TimeUnit.SECONDS));
            }
            for (TimerHandle h : handles) {
                assertThat(h.cancel()).isTrue();
            }
            CountDownLatch settled = new CountDownLatch(1);
            real.execute(settled::countDown); // after every timer's hop onto the loop
            assertThat(settled.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(real.metrics().pendingTimers()).isZero();
            assertThat(ran).hasValue(0);
        } finally {
            real.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDelayOfLongMaxValueNanosNeverFiresAndDoesNotDisturbOtherTimers() {
        List<String> fired = new ArrayList<>();
        TimerHandle never = loop.schedule(() -> fired.add("never"), Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        TimerHandle neverDays = loop.schedule(() -> fired.add("never-days"), Long.MAX_VALUE, TimeUnit.DAYS);
        loop.schedule(() -> fired.add("one"), 1, TimeUnit.SECONDS);
        loop.scheduleAtFixedRate(() -> fired.add("tick"), 2, Long.MAX_VALUE, TimeUnit.SECONDS);
        loop.schedule(() -> fired.add("three"), 3, TimeUnit.SECONDS);

        loop.advanceTimeBy(Duration.ofDays(365L * 100));

        assertThat(fired).containsExactly("one", "tick", "three");
        assertThat(never.isDone()).isFalse();
        assertThat(neverDays.isDone()).isFalse();
        assertThat(loop.metrics().pendingTimers()).isEqualTo(3);
        assertThat(never.cancel()).isTrue();
    }

    @Test
    void aDelayOfLongMaxValueOnARealLoopDoesNotStopAShortTimer() throws Exception {
        Loop real = Loop.create("overflow");
        try {
            AtomicBoolean farFired = new AtomicBoolean();
            real.schedule(() -> farFired.set(true), Long.MAX_VALUE, TimeUnit.NANOSECONDS);
            CountDownLatch near = new CountDownLatch(1);
            real.schedule(near::countDown, 10, TimeUnit.MILLISECONDS);
            assertThat(near.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(farFired).isFalse();
            assertThat(real.metrics().pendingTimers()).isEqualTo(1);
        } finally {
            real.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void timersFireAcrossTheWrapOfTheNanosecondCounter() {
        // Only differences of nanoTime readings mean anything; a clock may start anywhere.
        try (TestLoop wrapping = TestLoop.create(new ManualClock(Long.MAX_VALUE - 500_000_000L))) {
            List<String> fired = new ArrayList<>();
            wrapping.schedule(() -> fired.add("before-wrap"), 400, TimeUnit.MILLISECONDS);
            wrapping.schedule(() -> fired.add("after-wrap"), 1, TimeUnit.SECONDS);
            wrapping.advanceTimeBy(Duration.ofMillis(999));
            assertThat(fired).containsExactly("before-wrap");
            wrapping.advanceTimeBy(Duration.ofMillis(1));
            assertThat(fired).containsExactly("before-wrap", "after-wrap");
        }
    }

    @Test
    void aTimerThatThrowsIsReportedAndLaterTimersStillRun() {
        List<String> fired = new ArrayList<>();
        IllegalStateException boom = new IllegalStateException("boom");
        loop.schedule(() -> fired.add("first"), 1, TimeUnit.SECONDS);
        loop.schedule(() -> {
            throw boom;
        }, 1, TimeUnit.SECONDS);
        loop.schedule(() -> fired.add("same-deadline"), 1, TimeUnit.SECONDS);
        loop.schedule(() -> fired.add("later"), 2, TimeUnit.SECONDS);

        loop.advanceTimeBy(Duration.ofSeconds(2));

        assertThat(errors.errors).containsExactly(boom);
        assertThat(errors.threads).containsOnly(Thread.currentThread());
        assertThat(fired).containsExactly("first", "same-deadline", "later");
        assertThat(loop.metrics().errors()).isEqualTo(1);
        assertThat(loop.metrics().timersRun()).isEqualTo(4);
    }

    @Test
    void aFixedRateTimerThatThrowsIsReportedEachTimeAndKeepsItsSchedule() {
        AtomicInteger runs = new AtomicInteger();
        loop.scheduleAtFixedRate(() -> {
            runs.incrementAndGet();
            throw new IllegalArgumentException("periodic failure");
        }, 1, 1, TimeUnit.SECONDS);
        loop.advanceTimeBy(Duration.ofSeconds(3));
        assertThat(runs).hasValue(3);
        assertThat(errors.errors).hasSize(3).allMatch(e -> e instanceof IllegalArgumentException);
    }

    @Test
    void aZeroOrNegativeDelayRunsOnTheNextRoundWithoutTimeMoving() {
        List<String> fired = new CopyOnWriteArrayList<>();
        loop.schedule(() -> fired.add("zero"), 0, TimeUnit.SECONDS);
        loop.schedule(() -> fired.add("negative"), -5, TimeUnit.SECONDS);
        assertThat(fired).isEmpty();
        loop.runPending();
        assertThat(fired).containsExactly("zero", "negative");
    }

    @Test
    void aNonPositivePeriodIsRejected() {
        assertThatThrownBy(() -> loop.scheduleAtFixedRate(() -> { }, 1, 0, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("period <= 0: 0");
        assertThatThrownBy(() -> loop.scheduleAtFixedRate(() -> { }, 1, -1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static int heapSize(TimerQueue queue) throws ReflectiveOperationException {
        Field size = TimerQueue.class.getDeclaredField("size");
        size.setAccessible(true);
        return size.getInt(queue);
    }

    private static int heapCapacity(TimerQueue queue) throws ReflectiveOperationException {
        Field heap = TimerQueue.class.getDeclaredField("heap");
        heap.setAccessible(true);
        return ((Object[]) heap.get(queue)).length;
    }
}

package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WatchdogTest {
    /** What the listener was told, and on which thread. */
    record Report(Loop loop, Duration blockedFor, List<StackTraceElement> stack, String thread) {
    }

    private final List<Report> reports = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch reported = new CountDownLatch(1);
    private final BlockedLoopListener listener = (loop, blockedFor, stack) -> {
        reports.add(new Report(loop, blockedFor, Arrays.asList(stack), Thread.currentThread().getName()));
        reported.countDown();
    };
    private Loop loop;

    @AfterEach
    void shutDown() throws Exception {
        if (loop != null) {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    private Loop loopWithThreshold(String name, Duration threshold) {
        loop = Loop.create(LoopOptions.builder().name(name).blockedThreshold(threshold).blockedListener(listener).build());
        return loop;
    }

    /**
     * Busy-spins (never sleeps, as a CPU-bound task would) until the watchdog has reported the
     * loop, or fails after 10 s so that a missing report cannot hang the test.
     */
    static void spinUntilReported(CountDownLatch latch, AtomicBoolean timedOut) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (latch.getCount() > 0) {
            if (System.nanoTime() - deadline > 0) {
                timedOut.set(true);
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Busy-spins for {@code nanos}: a short CPU-bound task. */
    static void busyFor(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** Waits for a task, then for a timer: both come after anything the loop was doing. */
    private LoopMetrics settledMetrics() throws Exception {
        CompletableFuture<LoopMetrics> metrics = new CompletableFuture<>();
        loop.schedule(() -> metrics.complete(loop.metrics()), 0, TimeUnit.NANOSECONDS);
        return metrics.get(10, TimeUnit.SECONDS);
    }

    private static boolean hasFrame(Report report, String method) {
        return report.stack().stream().anyMatch(e -> e.getClassName().equals(WatchdogTest.class.getName())
                && e.getMethodName().equals(method));
    }

    @Test
    void aTaskThatKeepsTheLoopBusyIsReportedOnceWithItsStack() throws Exception {
        loopWithThreshold("wd-block", Duration.ofMillis(50));
        AtomicBoolean timedOut = new AtomicBoolean();
        CountDownLatch taskDone = new CountDownLatch(1);
        loop.execute(() -> {
            spinUntilReported(reported, timedOut);
            taskDone.countDown();
        });
        assertThat(taskDone.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(timedOut).as("the watchdog never reported").isFalse();
        LoopMetrics metrics = settledMetrics();

        assertThat(reports).hasSize(1);
        Report report = reports.get(0);
        assertThat(report.loop()).isSameAs(loop);
        assertThat(report.thread()).isEqualTo("loopflux-watchdog");
        assertThat(report.blockedFor()).isGreaterThanOrEqualTo(Duration.ofMillis(50));
        assertThat(hasFrame(report, "spinUntilReported"))
                .as("stack names the blocking method: %s", report.stack()).isTrue();
        assertThat(metrics.blockedReports()).isEqualTo(1);
        assertThat(metrics.longestTask()).isGreaterThanOrEqualTo(Duration.ofMillis(50));
    }

    @Test
    void twoBlockingRunsInARowAreReportedOnceEach() throws Exception {
        loopWithThreshold("wd-twice", Duration.ofMillis(50));
        AtomicBoolean timedOut = new AtomicBoolean();
        CountDownLatch first = reported;
        CountDownLatch second = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            spinUntilReported(first, timedOut);
            reported = second; // the next report releases the next task
        });
        loop.execute(() -> {
            spinUntilReported(second, timedOut);
            done.countDown();
        });
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(timedOut).isFalse();
        assertThat(reports).hasSize(2);
        assertThat(settledMetrics().blockedReports()).isEqualTo(2);
    }

    @Test
    void aBlockingIoHandlerIsReportedToo() throws Exception {
        loopWithThreshold("wd-handler", Duration.ofMillis(50));
        AtomicBoolean timedOut = new AtomicBoolean();
        CountDownLatch handled = new CountDownLatch(1);
        Pipe pipe = Pipe.open();
        try {
            loop.register(pipe.source(), SelectionKey.OP_READ, (r, ops) -> {
                ((Pipe.SourceChannel) r.channel()).read(ByteBuffer.allocate(16));
                spinUntilReported(reported, timedOut);
                handled.countDown();
            }).get(10, TimeUnit.SECONDS);
            pipe.sink().write(ByteBuffer.wrap(new byte[] {7}));
            assertThat(handled.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(timedOut).isFalse();
            assertThat(reports).hasSize(1);
            assertThat(hasFrame(reports.get(0), "spinUntilReported")).isTrue();
        } finally {
            pipe.sink().close();
            pipe.source().close();
        }
    }

    @Test
    void manyShortTasksTotallingFarMoreThanTheThresholdAreNotReported() throws Exception {
        // Generous threshold: a short task preempted for longer than it on a loaded machine is
        // (rightly) reported, and this test is not about that.
        loopWithThreshold("wd-short", Duration.ofMillis(300));
        CountDownLatch done = new CountDownLatch(1);
        int tasks = 1_000;
        long each = TimeUnit.MICROSECONDS.toNanos(700);
        long start = System.nanoTime();
        for (int i = 0; i < tasks; i++) {
            loop.execute(() -> busyFor(each));
        }
        loop.execute(done::countDown);
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - start).as("the loop was busy for far longer than the threshold")
                .isGreaterThanOrEqualTo(tasks * each);
        LoopMetrics metrics = settledMetrics();
        assertThat(reports).isEmpty();
        assertThat(metrics.blockedReports()).isZero();
        assertThat(metrics.longestTask()).isLessThan(Duration.ofMillis(300));
    }

    @Test
    void aZeroThresholdTurnsTheWatchdogOff() throws Exception {
        loopWithThreshold("wd-off", Duration.ZERO);
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            busyFor(TimeUnit.MILLISECONDS.toNanos(300)); // would be reported at any threshold up to 300 ms
            done.countDown();
        });
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        LoopMetrics metrics = settledMetrics();
        assertThat(reports).isEmpty();
        assertThat(metrics.blockedReports()).isZero();
        assertThat(metrics.longestTask()).as("nobody sampled the loop").isEqualTo(Duration.ZERO);
    }

    @Test
    void anIdleLoopIsNeverReported() throws Exception {
        loopWithThreshold("wd-idle", Duration.ofMillis(5));
        // The loop sleeps in select until this timer fires, 40 thresholds later.
        CountDownLatch fired = new CountDownLatch(1);
        loop.schedule(fired::countDown, 200, TimeUnit.MILLISECONDS);
        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(reports).isEmpty();
        assertThat(settledMetrics().blockedReports()).isZero();
    }
}

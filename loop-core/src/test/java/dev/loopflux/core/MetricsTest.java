package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MetricsTest {

    @Test
    void aNewTestLoopHasZeroEverywhere() {
        try (TestLoop loop = TestLoop.create()) {
            LoopMetrics m = loop.metrics();
            assertThat(m.name()).isEqualTo("test-loop");
            assertThat(m.iterations()).isZero();
            assertThat(m.tasksRun()).isZero();
            assertThat(m.timersRun()).isZero();
            assertThat(m.keysDispatched()).isZero();
            assertThat(m.pendingTasks()).isZero();
            assertThat(m.pendingTimers()).isZero();
            assertThat(m.registrations()).isZero();
            assertThat(m.longestTask()).isEqualTo(Duration.ZERO);
            assertThat(m.blockedReports()).isZero();
            assertThat(m.wakeups()).isZero();
            assertThat(m.selectorRebuilds()).isZero();
            assertThat(m.errors()).isZero();
        }
    }

    @Test
    void tasksArePendingUntilRunThenCounted() {
        try (TestLoop loop = TestLoop.create()) {
            for (int i = 0; i < 5; i++) {
                loop.execute(() -> { });
            }
            assertThat(loop.metrics().pendingTasks()).isEqualTo(5);
            assertThat(loop.metrics().tasksRun()).isZero();
            loop.runPending();
            assertThat(loop.metrics().pendingTasks()).isZero();
            assertThat(loop.metrics().tasksRun()).isEqualTo(5);
            // A task that queues another: both counted.
            loop.execute(() -> loop.execute(() -> { }));
            loop.runPending();
            assertThat(loop.metrics().tasksRun()).isEqualTo(7);
        }
    }

    @Test
    void timersArePendingUntilRunOrCancelledAndEachRunIsCounted() {
        try (TestLoop loop = TestLoop.create()) {
            loop.schedule(() -> { }, 1, TimeUnit.SECONDS);
            TimerHandle cancelled = loop.schedule(() -> { }, 2, TimeUnit.SECONDS);
            loop.schedule(() -> { }, 3, TimeUnit.SECONDS);
            TimerHandle periodic = loop.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.SECONDS);
            assertThat(loop.metrics().pendingTimers()).isEqualTo(4);
            cancelled.cancel();
            assertThat(loop.metrics().pendingTimers()).isEqualTo(3);

            loop.advanceTimeBy(Duration.ofSeconds(3));
            assertThat(loop.metrics().timersRun()).as("two one-shots and three periodic runs").isEqualTo(5);
            assertThat(loop.metrics().pendingTimers()).as("the periodic one").isEqualTo(1);
            periodic.cancel();
            assertThat(loop.metrics().pendingTimers()).isZero();
            assertThat(loop.metrics().tasksRun()).as("timers are not tasks").isZero();
        }
    }

    @Test
    void registrationsAndDispatchedKeysAreCounted() throws Exception {
        Pipe a = Pipe.open();
        Pipe b = Pipe.open();
        try (TestLoop loop = TestLoop.create()) {
            IoHandler drain = (r, ops) -> ((Pipe.SourceChannel) r.channel()).read(ByteBuffer.allocate(64));
            IoRegistration ra = loop.register(a.source(), SelectionKey.OP_READ, drain).join();
            loop.register(b.source(), SelectionKey.OP_READ, drain).join();
            assertThat(loop.metrics().registrations()).isEqualTo(2);

            a.sink().write(ByteBuffer.wrap(new byte[] {1}));
            b.sink().write(ByteBuffer.wrap(new byte[] {2}));
            assertThat(loop.runUntil(() -> loop.metrics().keysDispatched() == 2, Duration.ofSeconds(10))).isTrue();
            loop.runPending();
            assertThat(loop.metrics().keysDispatched()).as("drained: nothing more to dispatch").isEqualTo(2);

            ra.cancel();
            assertThat(loop.metrics().registrations()).isEqualTo(1);
            a.sink().write(ByteBuffer.wrap(new byte[] {3}));
            loop.runPending();
            assertThat(loop.metrics().keysDispatched()).isEqualTo(2);

            loop.close();
            assertThat(loop.metrics().registrations()).isZero();
        } finally {
            a.sink().close();
            a.source().close();
            b.sink().close();
        }
    }

    @Test
    void aRealLoopCountsIterationsTasksTimersAndKeys() throws Exception {
        Loop loop = Loop.create("metrics");
        Pipe pipe = Pipe.open();
        try {
            LoopMetrics before = snapshotAfterEverything(loop);
            CountDownLatch read = new CountDownLatch(1);
            loop.register(pipe.source(), SelectionKey.OP_READ, (r, ops) -> {
                ((Pipe.SourceChannel) r.channel()).read(ByteBuffer.allocate(64));
                read.countDown();
            }).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 100; i++) {
                loop.execute(() -> { });
            }
            CountDownLatch timers = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                loop.schedule(timers::countDown, 1, TimeUnit.MILLISECONDS);
            }
            pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
            assertThat(timers.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(read.await(10, TimeUnit.SECONDS)).isTrue();

            LoopMetrics after = snapshotAfterEverything(loop);
            assertThat(after.name()).isEqualTo("metrics");
            assertThat(after.iterations()).isGreaterThan(before.iterations());
            // 100 tasks and the register hop, at least (timers from other threads hop on without a task).
            assertThat(after.tasksRun() - before.tasksRun()).isGreaterThanOrEqualTo(101);
            assertThat(after.timersRun() - before.timersRun()).isEqualTo(3 + 1); // and the snapshot timer
            assertThat(after.keysDispatched() - before.keysDispatched()).isGreaterThanOrEqualTo(1);
            assertThat(after.registrations()).isEqualTo(1);
            assertThat(after.pendingTimers()).isZero();
            assertThat(after.pendingTasks()).isZero();
            assertThat(after.errors()).isZero();
        } finally {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
            pipe.sink().close();
            pipe.source().close();
        }
        assertThat(loop.metrics().registrations()).as("closed at shutdown").isZero();
    }

    /** A snapshot taken on the loop, in a timer, after the tasks queued before have run and been counted. */
    private static LoopMetrics snapshotAfterEverything(Loop loop) throws Exception {
        CompletableFuture<LoopMetrics> metrics = new CompletableFuture<>();
        loop.schedule(() -> metrics.complete(loop.metrics()), 0, TimeUnit.NANOSECONDS);
        return metrics.get(10, TimeUnit.SECONDS);
    }
}

package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LifecycleTest {
    private final List<Loop> loops = new ArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (Loop loop : loops) {
                loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
            }
        } finally {
            for (AutoCloseable c : toClose) {
                c.close();
            }
        }
    }

    private Loop loop(String name) {
        Loop loop = Loop.create(name);
        loops.add(loop);
        return loop;
    }

    private static Thread loopThread(Loop loop) throws Exception {
        CompletableFuture<Thread> thread = new CompletableFuture<>();
        loop.execute(() -> thread.complete(Thread.currentThread()));
        return thread.get(10, TimeUnit.SECONDS);
    }

    private static boolean threadNamedAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    @Test
    void tasksQueuedBeforeShutdownRunBeforeTermination() throws Exception {
        Loop loop = loop("lc-drain");
        AtomicInteger ran = new AtomicInteger();
        AtomicBoolean ranAfterTermination = new AtomicBoolean();
        for (int i = 0; i < 50_000; i++) {
            loop.execute(() -> {
                ran.incrementAndGet();
                if (loop.isTerminated()) {
                    ranAfterTermination.set(true);
                }
            });
        }
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        assertThat(ran).hasValue(50_000);
        assertThat(ranAfterTermination).isFalse();
        assertThat(loop.isTerminated()).isTrue();
    }

    @Test
    void shutdownCancelsTimersClosesChannelsAndEndsTheThread() throws Exception {
        Loop loop = loop("lc-all");
        Thread thread = loopThread(loop);
        assertThat(threadNamedAlive("lc-all")).isTrue();

        AtomicBoolean timerRan = new AtomicBoolean();
        TimerHandle oneShot = loop.schedule(() -> timerRan.set(true), 1, TimeUnit.HOURS);
        TimerHandle periodic = loop.scheduleAtFixedRate(() -> timerRan.set(true), 1, 1, TimeUnit.HOURS);

        Pipe pipe = Pipe.open();
        toClose.add(pipe.sink());
        toClose.add(pipe.source());
        AtomicReference<Throwable> cause = new AtomicReference<>();
        AtomicInteger ends = new AtomicInteger();
        AtomicBoolean endedOnLoop = new AtomicBoolean();
        IoRegistration registration = loop.register(pipe.source(), SelectionKey.OP_READ, new IoHandler() {
            @Override
            public void onReady(IoRegistration r, int readyOps) {
            }

            @Override
            public void onDeregistered(IoRegistration r, Throwable c) {
                ends.incrementAndGet();
                cause.set(c);
                endedOnLoop.set(loop.inLoop());
            }
        }).get(10, TimeUnit.SECONDS);

        CompletableFuture<Boolean> terminatedWhenCompleted = loop.terminationFuture().thenApply(ignored -> loop.isTerminated());

        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);

        assertThat(oneShot.isCancelled()).isTrue();
        assertThat(oneShot.isDone()).isTrue();
        assertThat(oneShot.cancel()).isFalse();
        assertThat(periodic.isCancelled()).isTrue();
        assertThat(timerRan).isFalse();
        assertThat(loop.metrics().pendingTimers()).isZero();

        assertThat(ends).hasValue(1);
        assertThat(cause.get()).isInstanceOf(LoopShutdownException.class).hasMessageContaining("lc-all");
        assertThat(endedOnLoop).isTrue();
        assertThat(pipe.source().isOpen()).isFalse();
        assertThat(registration.isValid()).isFalse();

        // Not asserted: the thread that runs dependents. A thread blocked in get() may run them,
        // and get() may return before they ran: await the dependent itself.
        assertThat(terminatedWhenCompleted.get(10, TimeUnit.SECONDS)).isTrue();
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
        assertThat(threadNamedAlive("lc-all")).isFalse();
        assertThat(loop.isShuttingDown()).isTrue();
        assertThat(loop.isTerminated()).isTrue();
    }

    @Test
    void executeAfterTerminationIsRejectedNamingTheLoop() throws Exception {
        Loop loop = loop("lc-reject");
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> loop.execute(() -> { }))
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("'lc-reject'");
        assertThatThrownBy(() -> loop.schedule(() -> { }, 1, TimeUnit.SECONDS))
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("'lc-reject'");
    }

    @Test
    void timersAreRejectedAsSoonAsShutdownStartsWhileTasksAreStillAccepted() throws Exception {
        Loop loop = loop("lc-quiet-timers");
        CompletableFuture<Void> termination = loop.shutdownGracefully(Duration.ofMillis(300), Duration.ofSeconds(5));
        assertThat(loop.isShuttingDown()).isTrue();
        assertThatThrownBy(() -> loop.schedule(() -> { }, 1, TimeUnit.MILLISECONDS))
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("lc-quiet-timers");
        assertThatThrownBy(() -> loop.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.MILLISECONDS))
                .isInstanceOf(RejectedExecutionException.class);
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        // From the loop thread as well.
        CompletableFuture<Throwable> onLoop = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                loop.schedule(() -> { }, 1, TimeUnit.MILLISECONDS);
                onLoop.complete(null);
            } catch (Throwable e) {
                onLoop.complete(e);
            }
        });
        assertThat(onLoop.get(10, TimeUnit.SECONDS)).isInstanceOf(RejectedExecutionException.class);
        termination.get(10, TimeUnit.SECONDS);
    }

    @Test
    void theQuietPeriodRestartsWithEachNewTaskAndTheLoopEndsOnlyAfterItPasses() throws Exception {
        Loop loop = loop("lc-quiet");
        Loop feeder = loop("lc-feeder"); // spaces out submissions by its timers: no sleeping here
        long quietNanos = TimeUnit.MILLISECONDS.toNanos(400);
        int submissions = 15; // every 40 ms: 600 ms of tasks, longer than one quiet period
        List<Long> ranAt = new CopyOnWriteArrayList<>();
        List<Throwable> feederErrors = new CopyOnWriteArrayList<>();
        AtomicLong terminatedAt = new AtomicLong();
        loop.terminationFuture().thenRun(() -> terminatedAt.set(System.nanoTime()));

        long shutdownAt = System.nanoTime();
        CompletableFuture<Void> termination = loop.shutdownGracefully(Duration.ofNanos(quietNanos), Duration.ofSeconds(20));
        AtomicInteger fed = new AtomicInteger();
        AtomicReference<TimerHandle> feed = new AtomicReference<>();
        CountDownLatch feedScheduled = new CountDownLatch(1);
        feeder.execute(() -> {
            feed.set(feeder.scheduleAtFixedRate(() -> {
                try {
                    loop.execute(() -> ranAt.add(System.nanoTime()));
                } catch (Throwable e) {
                    feederErrors.add(e);
                }
                if (fed.incrementAndGet() == submissions) {
                    feed.get().cancel();
                }
            }, 40, 40, TimeUnit.MILLISECONDS));
            feedScheduled.countDown();
        });
        assertThat(feedScheduled.await(10, TimeUnit.SECONDS)).isTrue();

        termination.get(15, TimeUnit.SECONDS);

        assertThat(feederErrors).as("every task of the quiet period was accepted").isEmpty();
        assertThat(ranAt).hasSize(submissions);
        long lastRun = ranAt.get(submissions - 1);
        assertThat(lastRun - shutdownAt).as("the tasks kept the loop up past one quiet period")
                .isGreaterThan(quietNanos);
        assertThat(terminatedAt.get() - lastRun).as("it ended a full quiet period after the last task")
                .isGreaterThanOrEqualTo(quietNanos)
                .isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void theTimeoutBoundsShutdownEvenWhenTasksNeverStop() throws Exception {
        Loop loop = loop("lc-timeout");
        Loop feeder = loop("lc-feeder2");
        AtomicReference<Throwable> rejection = new AtomicReference<>();
        CountDownLatch rejected = new CountDownLatch(1);
        feeder.execute(() -> {
            TimerHandle[] self = new TimerHandle[1];
            self[0] = feeder.scheduleAtFixedRate(() -> {
                try {
                    loop.execute(() -> { });
                } catch (RejectedExecutionException e) {
                    rejection.set(e);
                    self[0].cancel();
                    rejected.countDown();
                }
            }, 0, 20, TimeUnit.MILLISECONDS);
        });
        long start = System.nanoTime();
        loop.shutdownGracefully(Duration.ofMillis(200), Duration.ofMillis(600)).get(10, TimeUnit.SECONDS);
        long took = System.nanoTime() - start;

        assertThat(took).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(600))
                .isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(rejected.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(rejection.get()).hasMessageContaining("lc-timeout");
    }

    @Test
    void theTimeoutBoundsShutdownEvenUnderAFloodOfTasks() throws Exception {
        Loop loop = loop("lc-flood");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong accepted = new AtomicLong();
        AtomicLong ran = new AtomicLong();
        Runnable task = () -> {
            ran.incrementAndGet();
            long end = System.nanoTime() + 2_000;
            while (System.nanoTime() - end < 0) {
                Thread.onSpinWait(); // a little work: the producer stays far ahead of the loop
            }
        };
        CountDownLatch flooding = new CountDownLatch(1);
        Thread producer = new Thread(() -> {
            try {
                while (!stop.get()) {
                    if (loop.metrics().pendingTasks() > 200_000) {
                        flooding.countDown();
                        Thread.onSpinWait(); // keep the queue full, not the heap
                        continue;
                    }
                    loop.execute(task);
                    accepted.incrementAndGet();
                }
            } catch (RejectedExecutionException expected) {
                // the loop has shut down
            }
        }, "flood");
        producer.start();
        try {
            assertThat(flooding.await(10, TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            CompletableFuture<Void> termination = loop.shutdownGracefully(Duration.ofMillis(100), Duration.ofMillis(300));
            termination.get(10, TimeUnit.SECONDS);
            // 300 ms, then at most ~200k accepted tasks of 2 us each.
            assertThat(System.nanoTime() - start).as("bounded by the timeout, plus running what was accepted")
                    .isLessThan(TimeUnit.SECONDS.toNanos(5));
            producer.join(10_000);
            assertThat(producer.isAlive()).as("the producer was rejected in the end").isFalse();
            assertThat(ran.get()).isEqualTo(accepted.get());
        } finally {
            stop.set(true);
            producer.join(10_000);
        }
    }

    @Test
    void aZeroQuietPeriodEndsPromptly() throws Exception {
        Loop loop = loop("lc-prompt");
        long start = System.nanoTime();
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(30)).get(10, TimeUnit.SECONDS);
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void callingShutdownTwiceReturnsTheSameFuture() throws Exception {
        Loop loop = loop("lc-twice");
        CompletableFuture<Void> first = loop.shutdownGracefully(Duration.ofMillis(100), Duration.ofSeconds(5));
        CompletableFuture<Void> second = loop.shutdownGracefully(Duration.ZERO, Duration.ZERO);
        CompletableFuture<Void> third = loop.shutdownGracefully();
        assertThat(second).isSameAs(first);
        assertThat(third).isSameAs(first);
        assertThat(loop.terminationFuture()).isSameAs(first);
        first.get(10, TimeUnit.SECONDS);
        assertThat(loop.shutdownGracefully()).isSameAs(first);
    }

    @Test
    void shutdownFromATaskOnTheLoopThreadWorks() throws Exception {
        Loop loop = loop("lc-self");
        AtomicReference<CompletableFuture<Void>> fromLoop = new AtomicReference<>();
        CountDownLatch after = new CountDownLatch(1);
        loop.execute(() -> {
            fromLoop.set(loop.shutdownGracefully());
            loop.execute(after::countDown); // still accepted: the quiet period has not passed
        });
        loop.terminationFuture().get(10, TimeUnit.SECONDS);
        assertThat(after.getCount()).isZero();
        assertThat(fromLoop.get()).isSameAs(loop.terminationFuture());
    }

    @Test
    void invalidShutdownArgumentsAreRejected() throws Exception {
        Loop loop = loop("lc-args");
        assertThatThrownBy(() -> loop.shutdownGracefully(Duration.ofMillis(-1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("quietPeriod=PT-0.001S");
        assertThatThrownBy(() -> loop.shutdownGracefully(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout=PT1S");
        assertThatThrownBy(() -> loop.shutdownGracefully(null, Duration.ofSeconds(1)))
                .isInstanceOf(NullPointerException.class);
        assertThat(loop.isShuttingDown()).as("a rejected call starts nothing").isFalse();
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void everyTaskWhoseExecuteReturnedRunsEvenWhenRacingShutdown() throws Exception {
        for (int round = 0; round < 300; round++) {
            Loop loop = Loop.create("lc-race");
            AtomicLong accepted = new AtomicLong();
            AtomicLong ran = new AtomicLong();
            AtomicReference<Throwable> unexpected = new AtomicReference<>();
            Thread producer = new Thread(() -> {
                Runnable task = ran::incrementAndGet;
                while (!loop.isShuttingDown()) {
                    Thread.onSpinWait(); // burst right into the shutdown sequence
                }
                try {
                    for (;;) {
                        loop.execute(task);
                        accepted.incrementAndGet();
                    }
                } catch (RejectedExecutionException expected) {
                    // the loop has shut down
                } catch (Throwable e) {
                    unexpected.set(e);
                }
            });
            producer.start();
            try {
                loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
                producer.join(10_000);
                assertThat(producer.isAlive()).isFalse();
                assertThat(unexpected.get()).isNull();
                assertThat(ran.get()).as("round %d: tasks run vs accepted", round).isEqualTo(accepted.get());
            } finally {
                loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aTimerScheduledFromAnotherThreadJustBeforeShutdownIsCancelledNotLeftPending() throws Exception {
        for (int round = 0; round < 200; round++) {
            Loop loop = Loop.create("lc-timer-race");
            try {
                CountDownLatch go = new CountDownLatch(1);
                AtomicReference<TimerHandle> handle = new AtomicReference<>();
                Thread scheduler = new Thread(() -> {
                    try {
                        go.await();
                        handle.set(loop.schedule(() -> { }, 1, TimeUnit.HOURS));
                    } catch (RejectedExecutionException | InterruptedException e) {
                        // shutdown came first: nothing was scheduled
                    }
                });
                scheduler.start();
                go.countDown();
                loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
                scheduler.join(10_000);
                if (handle.get() != null) {
                    assertThat(handle.get().isCancelled()).as("round %d", round).isTrue();
                }
            } finally {
                loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
            }
        }
    }
}

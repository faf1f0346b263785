package dev.loopflux.reactor;

import static dev.loopflux.reactor.TestSupport.WAIT_SECONDS;
import static dev.loopflux.reactor.TestSupport.assertReactorRejected;
import static dev.loopflux.reactor.TestSupport.await;
import static dev.loopflux.reactor.TestSupport.expectedFailure;
import static dev.loopflux.reactor.TestSupport.hold;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.loopflux.core.Loop;
import dev.loopflux.reactor.TestSupport.ExpectedFailure;
import dev.loopflux.reactor.TestSupport.Where;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.Scannable.Attr;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Scheduler.Worker;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The {@link Scheduler} contract, run against every way the adapter makes a scheduler (in the
 * manner of reactor-core's {@code AbstractSchedulerTest}; this one is ours). Each subclass says
 * how to make a fresh scheduler and what it supports.
 *
 * <p>No test sleeps to wait: tasks report through latches and futures, and "it did not run" is
 * proven by a marker queued behind it on the same loop (a loop runs its tasks in order and its
 * timers by deadline), so a marker that ran means the task had its chance. Longer than the
 * usual file: it is the one place the whole contract is written down.
 */
@Timeout(30)
abstract class AbstractLoopSchedulerTest {

    /** The scheduler under test: fresh for each test, disposed after it. */
    Scheduler s;

    /** A new, initialized scheduler; called once per test. */
    abstract Scheduler scheduler();

    /** How many loops the scheduler spreads its work over. */
    abstract int loops();

    /** What {@link Attr#NAME} must contain. */
    abstract String expectedName();

    /** True when the scheduler made its loops, so that disposing it ends their threads. */
    abstract boolean ownsLoops();

    /** True when the loop threads are Reactor {@code NonBlocking} threads. */
    abstract boolean nonBlockingThreads();

    /** True when the loops read the system clock, so {@code now()} is wall-clock time. */
    boolean systemClock() {
        return true;
    }

    /** Errors the loops' error handler received, when the test can see them; else null. */
    BlockingQueue<Throwable> reportedErrors() {
        return null;
    }

    @BeforeEach
    final void createScheduler() {
        s = scheduler();
    }

    @AfterEach
    final void disposeScheduler() {
        if (s != null) {
            s.disposeGracefully().block(Duration.ofSeconds(WAIT_SECONDS));
        }
    }

    // ---- direct scheduling ------------------------------------------------------------------

    @Test
    void scheduleRunsTheTaskOnALoopThread() {
        CompletableFuture<Where> ran = new CompletableFuture<>();
        s.schedule(() -> ran.complete(Where.here()));

        Where where = await(ran);
        assertThat(where.thread()).isNotSameAs(Thread.currentThread());
        assertThat(where.loop()).as("Loop.current() inside the task").isNotNull();
        assertThat(where.loop().name()).isEqualTo(where.thread().getName());
        if (nonBlockingThreads()) {
            assertThat(where.onNonBlockingLoop()).as("NonBlocking loop thread: " + where).isTrue();
        }
    }

    @Test
    void disposingAPendingTaskKeepsItFromRunning() {
        List<Worker> perLoop = workerPerLoop();
        CountDownLatch release = new CountDownLatch(1);
        try {
            holdEveryLoop(perLoop, release);
            AtomicBoolean ran = new AtomicBoolean();
            Disposable task = s.schedule(() -> ran.set(true));
            assertThat(task.isDisposed()).isFalse();

            task.dispose();
            assertThat(task.isDisposed()).isTrue();
            release.countDown();
            awaitEveryLoop(perLoop, 0);

            assertThat(ran).as("disposed before its turn, so never run").isFalse();
        } finally {
            release.countDown();
        }
    }

    @Test
    void aDelayedTaskRunsNoEarlierThanItsDelay() {
        long start = System.nanoTime();
        CompletableFuture<Long> ranAt = new CompletableFuture<>();
        CompletableFuture<Where> where = new CompletableFuture<>();
        s.schedule(() -> {
            ranAt.complete(System.nanoTime());
            where.complete(Where.here());
        }, 50, MILLISECONDS);

        assertThat(await(ranAt) - start).isGreaterThanOrEqualTo(MILLISECONDS.toNanos(50));
        assertThat(await(where).loop()).isNotNull();
    }

    @Test
    void disposingADelayedTaskCancelsIt() {
        List<Worker> perLoop = workerPerLoop();
        AtomicBoolean ran = new AtomicBoolean();
        Disposable task = s.schedule(() -> ran.set(true), 30, MILLISECONDS);

        task.dispose();
        assertThat(task.isDisposed()).isTrue();
        awaitEveryLoop(perLoop, 100); // each loop's timers run by deadline: 30 ms comes first

        assertThat(ran).isFalse();
    }

    @Test
    void aPeriodicTaskRunsRepeatedlyUntilDisposed() {
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<Loop> loop = new AtomicReference<>();
        CountDownLatch threeRuns = new CountDownLatch(3);
        Disposable task = s.schedulePeriodically(() -> {
            loop.set(Loop.current());
            runs.incrementAndGet();
            threeRuns.countDown();
        }, 10, 10, MILLISECONDS);

        await(threeRuns);
        task.dispose();
        int atDispose = runs.get();
        settle(loop.get(), 100); // ten periods

        assertThat(task.isDisposed()).isTrue();
        assertThat(runs.get()).as("at most the run under way when disposed").isBetween(atDispose, atDispose + 1);
    }

    @ParameterizedTest(name = "initial delay {0} ms")
    @ValueSource(longs = {0, 10})
    void aZeroPeriodTaskRunsAgainAndAgainUntilDisposed(long initialDelay) {
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<Disposable> self = new AtomicReference<>();
        AtomicInteger stoppedAt = new AtomicInteger();
        CompletableFuture<Loop> stopped = new CompletableFuture<>();
        Disposable task = s.schedulePeriodically(() -> {
            int n = runs.incrementAndGet();
            Disposable me = self.get();
            if (n >= 100 && me != null && !stopped.isDone()) {
                me.dispose(); // on the loop thread: no run can be under way
                stoppedAt.set(n);
                stopped.complete(Loop.current());
            }
        }, initialDelay, 0, MILLISECONDS);
        self.set(task);

        settle(await(stopped), 0);

        assertThat(stoppedAt.get()).isGreaterThanOrEqualTo(100);
        assertThat(runs.get()).as("no run after dispose").isEqualTo(stoppedAt.get());
    }

    @ParameterizedTest(name = "period {0} ms")
    @ValueSource(longs = {0, 10})
    void aPeriodicTaskThatThrowsStops(long period) {
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Loop> threw = new CompletableFuture<>();
        Disposable task = s.schedulePeriodically(() -> {
            runs.incrementAndGet();
            threw.complete(Loop.current());
            throw expectedFailure("periodic task");
        }, 1, period, MILLISECONDS);

        settle(await(threw), period * 10);

        assertThat(runs.get()).isEqualTo(1);
        assertThat(task.isDisposed()).isTrue();
        assertErrorReported();
    }

    @Test
    void aTaskThatThrowsDoesNotStopTheScheduler() {
        Worker w = s.createWorker();
        w.schedule(() -> {
            throw expectedFailure("worker task");
        });
        s.schedule(() -> {
            throw expectedFailure("direct task");
        });
        CountDownLatch later = new CountDownLatch(2);
        w.schedule(later::countDown); // same loop as the one that threw
        s.schedule(later::countDown);

        await(later);
        assertErrorReported();
        assertErrorReported();
    }

    // ---- workers ----------------------------------------------------------------------------

    @Test
    void aWorkerRunsTasksInOrderOneAtATime() throws Exception {
        int threads = 4;
        int perThread = 2_500;
        Worker w = s.createWorker();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger outOfOrder = new AtomicInteger();
        AtomicIntegerArray last = new AtomicIntegerArray(threads);
        Set<Thread> ranOn = ConcurrentHashMap.newKeySet();
        CountDownLatch done = new CountDownLatch(threads * perThread);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < threads; p++) {
            int producer = p;
            last.set(producer, -1);
            Thread t = new Thread(() -> {
                hold(go);
                for (int i = 0; i < perThread; i++) {
                    int seq = i;
                    w.schedule(() -> {
                        if (inFlight.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        ranOn.add(Thread.currentThread());
                        if (last.getAndSet(producer, seq) != seq - 1) {
                            outOfOrder.incrementAndGet();
                        }
                        inFlight.decrementAndGet();
                        done.countDown();
                    });
                }
            }, "producer-" + p);
            producers.add(t);
            t.start();
        }

        go.countDown();
        await(done);
        for (Thread t : producers) {
            t.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        }

        assertThat(overlaps.get()).as("tasks that overlapped another").isZero();
        assertThat(outOfOrder.get()).as("tasks run out of their producer's order").isZero();
        assertThat(ranOn).as("one worker, one loop thread").hasSize(1);
        for (int p = 0; p < threads; p++) {
            assertThat(last.get(p)).isEqualTo(perThread - 1);
        }
    }

    @Test
    void disposingAWorkerDropsItsPendingAndDelayedTasks() {
        Worker w = s.createWorker();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Loop> loop = new AtomicReference<>();
        w.schedule(() -> {
            loop.set(Loop.current());
            held.countDown();
            hold(release);
        });
        try {
            await(held);
            AtomicInteger ran = new AtomicInteger();
            List<Disposable> tasks = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                tasks.add(w.schedule(ran::incrementAndGet));
            }
            tasks.add(w.schedule(ran::incrementAndGet, 20, MILLISECONDS));
            tasks.add(w.schedulePeriodically(ran::incrementAndGet, 20, 20, MILLISECONDS));
            tasks.add(w.schedulePeriodically(ran::incrementAndGet, 0, 0, MILLISECONDS));

            w.dispose();
            assertThat(w.isDisposed()).isTrue();
            assertThat(tasks).as("every task of a disposed worker is disposed").allMatch(Disposable::isDisposed);
            release.countDown();
            settle(loop.get(), 100); // behind the queued tasks, after the 20 ms timers

            assertThat(ran.get()).as("tasks run after their worker was disposed").isZero();
        } finally {
            release.countDown();
        }
    }

    @ParameterizedTest(name = "period {0} ms")
    @ValueSource(longs = {0, 10})
    void disposingAWorkerStopsItsPeriodicTasks(long period) {
        Worker w = s.createWorker();
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<Loop> loop = new AtomicReference<>();
        CountDownLatch threeRuns = new CountDownLatch(3);
        w.schedulePeriodically(() -> {
            loop.set(Loop.current());
            runs.incrementAndGet();
            threeRuns.countDown();
        }, 0, period, MILLISECONDS);

        await(threeRuns);
        w.dispose();
        int atDispose = runs.get();
        settle(loop.get(), period * 10);

        assertThat(runs.get()).isBetween(atDispose, atDispose + 1);
    }

    @Test
    void aDisposedWorkerRejectsTasksAsReactorDoes() {
        Worker w = s.createWorker();
        w.dispose();

        assertThat(w.isDisposed()).isTrue();
        assertThatExceptionOfType(RejectedExecutionException.class)
                .isThrownBy(() -> w.schedule(() -> { }))
                .isSameAs(Exceptions.failWithRejected());
        assertThatExceptionOfType(RejectedExecutionException.class)
                .isThrownBy(() -> w.schedule(() -> { }, 10, MILLISECONDS))
                .isSameAs(Exceptions.failWithRejected());
        assertThatExceptionOfType(RejectedExecutionException.class)
                .isThrownBy(() -> w.schedulePeriodically(() -> { }, 10, 10, MILLISECONDS))
                .isSameAs(Exceptions.failWithRejected());
        assertThatExceptionOfType(RejectedExecutionException.class)
                .isThrownBy(() -> w.schedulePeriodically(() -> { }, 0, 0, MILLISECONDS))
                .isSameAs(Exceptions.failWithRejected());
    }

    // ---- lifecycle --------------------------------------------------------------------------

    @Test
    void aDisposedSchedulerRejectsTasks() {
        s.dispose();

        assertThat(s.isDisposed()).isTrue();
        assertReactorRejected(catchThrowable(() -> s.schedule(() -> { })));
        assertReactorRejected(catchThrowable(() -> s.schedule(() -> { }, 10, MILLISECONDS)));
        assertReactorRejected(catchThrowable(() -> s.schedulePeriodically(() -> { }, 10, 10, MILLISECONDS)));
        Throwable onCreate = catchThrowable(() -> s.createWorker().schedule(() -> { }));
        assertReactorRejected(onCreate);
    }

    @Test
    void disposingTheSchedulerDisposesItsWorkers() {
        Worker w = s.createWorker();

        s.dispose();

        assertThat(w.isDisposed()).isTrue();
        assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> w.schedule(() -> { }));
    }

    @Test
    void disposeGracefullyCompletesAndTheSchedulerIsTerminated() throws InterruptedException {
        CompletableFuture<Where> ran = new CompletableFuture<>();
        s.schedule(() -> ran.complete(Where.here()));
        Thread loopThread = await(ran).thread();

        StepVerifier.create(s.disposeGracefully()).expectComplete().verify(Duration.ofSeconds(WAIT_SECONDS));

        assertThat(s.isDisposed()).isTrue();
        assertThat(Scannable.from(s).scan(Attr.TERMINATED)).isTrue();
        if (ownsLoops()) {
            loopThread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertThat(loopThread.isAlive()).as("loop thread left behind").isFalse();
        }
    }

    @Test
    void disposeGracefullyWaitsForTheTaskThatIsRunning() {
        assumeTrue(ownsLoops(), "only a scheduler that owns its loops waits for them");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        s.schedule(() -> {
            held.countDown();
            hold(release);
        });
        try {
            await(held);
            StepVerifier.create(s.disposeGracefully())
                    .expectSubscription()
                    .expectNoEvent(Duration.ofMillis(100))
                    .then(() -> assertThat(Scannable.from(s).scan(Attr.TERMINATED)).isFalse())
                    .then(release::countDown)
                    .expectComplete()
                    .verify(Duration.ofSeconds(WAIT_SECONDS));
            assertThat(Scannable.from(s).scan(Attr.TERMINATED)).isTrue();
        } finally {
            release.countDown();
        }
    }

    @Test
    void disposeGracefullyEndsZeroPeriodTasksThatAreStillLive() {
        assumeTrue(ownsLoops(), "a scheduler over loops it does not own leaves them running");
        CountDownLatch running = new CountDownLatch(20);
        s.schedulePeriodically(running::countDown, 0, 0, MILLISECONDS);
        s.createWorker().schedulePeriodically(running::countDown, 0, 0, MILLISECONDS);
        await(running);

        StepVerifier.create(s.disposeGracefully()).expectComplete().verify(Duration.ofSeconds(WAIT_SECONDS));

        assertThat(Scannable.from(s).scan(Attr.TERMINATED)).isTrue();
    }

    @Test
    void initAfterDisposeIsRefused() {
        s.dispose();

        assertThatIllegalStateException().isThrownBy(s::init).withMessageContaining("disposed");
    }

    @Test
    @SuppressWarnings("deprecation")
    void startAfterDisposeDoesNotRestart() {
        s.dispose();
        s.start();

        assertThat(s.isDisposed()).isTrue();
        assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> s.schedule(() -> { }));
    }

    // ---- hooks, introspection, time ---------------------------------------------------------

    @Test
    void everyTaskGoesThroughTheOnScheduleHook() {
        String key = getClass().getName();
        ThreadLocal<Boolean> inHook = ThreadLocal.withInitial(() -> false);
        AtomicInteger hooked = new AtomicInteger();
        Schedulers.onScheduleHook(key, task -> () -> {
            hooked.incrementAndGet();
            inHook.set(true);
            try {
                task.run();
            } finally {
                inHook.set(false);
            }
        });
        try {
            Worker w = s.createWorker();
            List<CompletableFuture<Boolean>> seen = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                seen.add(new CompletableFuture<>());
            }
            s.schedule(() -> seen.get(0).complete(inHook.get()));
            s.schedule(() -> seen.get(1).complete(inHook.get()), 1, MILLISECONDS);
            Disposable periodic = s.schedulePeriodically(() -> seen.get(2).complete(inHook.get()), 1, 10, MILLISECONDS);
            w.schedule(() -> seen.get(3).complete(inHook.get()));
            w.schedule(() -> seen.get(4).complete(inHook.get()), 1, MILLISECONDS);
            Disposable workerPeriodic = w.schedulePeriodically(() -> seen.get(5).complete(inHook.get()), 0, 0, MILLISECONDS);

            for (int i = 0; i < seen.size(); i++) {
                assertThat(await(seen.get(i))).as("task %d ran inside the hook's wrapper", i).isTrue();
            }
            periodic.dispose();
            workerPeriodic.dispose();
            assertThat(hooked.get()).isGreaterThanOrEqualTo(seen.size());
        } finally {
            Schedulers.resetOnScheduleHook(key);
        }
    }

    @Test
    void scanGivesNameCapacityBufferedAndTerminated() {
        Scannable scannable = Scannable.from(s);

        assertThat(scannable.isScanAvailable()).isTrue();
        assertThat(scannable.scan(Attr.NAME)).isNotNull().contains(expectedName());
        assertThat(scannable.scan(Attr.CAPACITY)).isEqualTo(Integer.MAX_VALUE);
        assertThat(scannable.scan(Attr.BUFFERED)).isGreaterThanOrEqualTo(0);
        assertThat(scannable.scan(Attr.TERMINATED)).isFalse();
    }

    @Test
    void bufferedCountsTheTasksQueuedBehindABusyLoop() {
        Worker w = s.createWorker();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        w.schedule(() -> {
            held.countDown();
            hold(release);
        });
        try {
            await(held);
            CountDownLatch queuedRan = new CountDownLatch(5);
            for (int i = 0; i < 5; i++) {
                w.schedule(queuedRan::countDown);
            }

            assertThat(Scannable.from(s).scan(Attr.BUFFERED)).isGreaterThanOrEqualTo(5);
            release.countDown();
            await(queuedRan);
            assertThat(Scannable.from(s).scan(Attr.BUFFERED)).isZero();
        } finally {
            release.countDown();
        }
    }

    @Test
    void nowIsWallClockTimeThatMovesWithTheLoops() {
        assumeTrue(systemClock(), "loops on the system clock");
        assertThat(s.now(MILLISECONDS)).isCloseTo(System.currentTimeMillis(), within(3_000L));

        long before = s.now(MILLISECONDS);
        CompletableFuture<Long> inTask = new CompletableFuture<>();
        s.schedule(() -> inTask.complete(s.now(MILLISECONDS)), 30, MILLISECONDS);

        assertThat(await(inTask) - before).isGreaterThanOrEqualTo(30);
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** One worker on each of the scheduler's loops (workers go round-robin from a non-loop thread). */
    List<Worker> workerPerLoop() {
        List<Worker> workers = new ArrayList<>();
        Set<Loop> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch found = new CountDownLatch(loops());
        for (int i = 0; i < loops(); i++) {
            Worker w = s.createWorker();
            workers.add(w);
            w.schedule(() -> {
                seen.add(Loop.current());
                found.countDown();
            });
        }
        await(found);
        assertThat(seen).as("one worker on each loop").hasSize(loops());
        return workers;
    }

    /** Makes every loop run a task that waits for {@code release}; returns once all are held. */
    static void holdEveryLoop(List<Worker> perLoop, CountDownLatch release) {
        CountDownLatch held = new CountDownLatch(perLoop.size());
        for (Worker w : perLoop) {
            w.schedule(() -> {
                held.countDown();
                hold(release);
            });
        }
        await(held);
    }

    /** Returns once every loop ran a marker queued now, or due {@code delayMillis} from now. */
    static void awaitEveryLoop(List<Worker> perLoop, long delayMillis) {
        CountDownLatch done = new CountDownLatch(perLoop.size());
        for (Worker w : perLoop) {
            w.schedule(done::countDown, delayMillis, MILLISECONDS);
        }
        await(done);
    }

    /**
     * Returns once {@code loop} has given every task and timer of the test its chance to run.
     * With a delay: one marker due {@code delayMillis} from now (timers run by deadline, and
     * queued tasks before the next timers). Without: three markers queued one after the other
     * ran; a task that keeps requeueing itself gets a turn between two of them, so a count that
     * holds still across them has stopped.
     */
    static void settle(Loop loop, long delayMillis) {
        int rounds = delayMillis > 0 ? 1 : 3;
        for (int round = 0; round < rounds; round++) {
            CountDownLatch marker = new CountDownLatch(1);
            if (delayMillis <= 0) {
                loop.execute(marker::countDown);
            } else {
                loop.schedule(marker::countDown, delayMillis, MILLISECONDS);
            }
            await(marker);
        }
    }

    /** Asserts that the loops' error handler got one {@link ExpectedFailure}, when the test can see it. */
    void assertErrorReported() {
        BlockingQueue<Throwable> errors = reportedErrors();
        if (errors == null) {
            return;
        }
        try {
            assertThat(errors.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isInstanceOf(ExpectedFailure.class);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

package dev.loopflux.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What every loop has, whoever drives it: the task queue, the timers, the selector driver, the
 * lifecycle state and the counters. {@link ThreadLoop} drives it from its own thread;
 * {@link TestLoop} from the test's thread with a manual clock.
 *
 * <p>Threading: the public methods are safe from any thread; the package-private ones that run
 * work ({@link #runTasks}, {@link #runTimers}, ...) are for the loop thread only.
 */
abstract class AbstractLoop implements Loop, TimerQueue.TaskRunner {
    // Lifecycle, behind one atomic field. Only moves forward.
    static final int ST_STARTED = 1;
    static final int ST_SHUTTING_DOWN = 2;
    static final int ST_SHUTDOWN = 3;
    static final int ST_TERMINATED = 4;

    /** The watchdog reads this: is the loop running user code, or waiting in select? */
    static final int PHASE_IDLE = 0;
    static final int PHASE_RUNNING = 1;

    private static final VarHandle STATE;
    private static final VarHandle PROGRESS;
    private static final VarHandle PHASE;
    private static final VarHandle COUNTERS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(AbstractLoop.class, "state", int.class);
            PROGRESS = lookup.findVarHandle(AbstractLoop.class, "progress", long.class);
            PHASE = lookup.findVarHandle(AbstractLoop.class, "phase", int.class);
            COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Indices into counters: written by the loop thread (opaque), read by metrics() (opaque).
    static final int C_ITERATIONS = 0;
    static final int C_TASKS = 1;
    static final int C_TIMERS = 2;
    static final int C_KEYS = 3;
    static final int C_WAKEUPS = 4;
    static final int C_REBUILDS = 5;
    static final int C_ERRORS = 6;
    static final int C_BLOCKED_REPORTS = 7;
    static final int C_LONGEST_NANOS = 8;

    /** The loop of the calling thread; see {@link Loop#current()}. */
    static final ThreadLocal<Loop> CURRENT = new ThreadLocal<>();

    final String name;
    final LoopOptions options;
    final Clock clock;
    final TaskQueue<Runnable> tasks = new TaskQueue<>();
    final TimerQueue timers;
    final NioDriver driver;
    final CompletableFuture<Void> terminationFuture = new CompletableFuture<>();
    private final long[] counters = new long[9];
    private final long taskQuantumNanos;

    private volatile int state = ST_STARTED;
    /** Bumped after every task, timer and handler run; the watchdog watches it move. */
    private long progress;
    /** {@link #PHASE_IDLE} while in select, {@link #PHASE_RUNNING} otherwise. */
    private int phase = PHASE_RUNNING;
    // Loop thread: see handOverLimit().
    private long safeHandOvers;
    private long candidateHandOvers;
    private long candidateTasks = -1;

    /**
     * Task index from which {@link #execute} rejects: set by the loop right after the state
     * reaches {@link #ST_SHUTDOWN}; -1 before. See {@link #acceptedDuringShutdown(long)}.
     */
    private volatile long acceptLimit = -1;

    // Graceful shutdown request: written under synchronized before the state moves, read by the
    // loop after it sees the state move.
    long quietPeriodNanos;
    long shutdownTimeoutNanos;

    AbstractLoop(String name, LoopOptions options, Clock clock) {
        this.name = name;
        this.options = options;
        this.clock = clock;
        this.timers = new TimerQueue(clock);
        this.taskQuantumNanos = options.taskQuantum().toNanos();
        try {
            this.driver = new NioDriver(this, options.selectStrategy());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector for loop '" + name + "'", e);
        }
    }

    /** Wakes the loop if it may be sleeping in select; called after a task is queued from another thread. */
    abstract void wakeupForTask();

    /**
     * Like {@link #wakeupForTask()}, for a timer due at {@code deadline} just handed over (see
     * {@link TimerQueue#handOver}) with index {@code handOverIndex}.
     */
    abstract void wakeupForTimer(long deadline, long handOverIndex);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Clock clock() {
        return clock;
    }

    @Override
    public final void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (state >= ST_SHUTDOWN) {
            throw rejected(task);
        }
        long index = tasks.offer(task);
        if (state >= ST_SHUTDOWN && !acceptedDuringShutdown(index)) {
            throw rejected(task); // it stays queued, and is dropped unrun at termination
        }
        if (!inLoop()) {
            wakeupForTask();
        }
    }

    /**
     * A producer that saw the state below {@link #ST_SHUTDOWN}, then offered, raced the loop's
     * move to it: was its task in time to run? The loop writes the state, then reads the claimed
     * index into {@link #acceptLimit}; the producer claims its index, then reads the state (all
     * sequentially consistent). Case by case:
     * <ol>
     *   <li>the producer's read sees the old state: its claim came before the loop's read, so its
     *   index is below the limit and the loop runs it; no need to come here (OK);</li>
     *   <li>it sees the new state and its index is below the limit: the loop runs it (OK);</li>
     *   <li>its index is at or past the limit: the loop will not run it, so it is rejected (OK).</li>
     * </ol>
     * The limit is published right after the state, so the wait is a few instructions long.
     */
    private boolean acceptedDuringShutdown(long index) {
        long limit;
        while ((limit = acceptLimit) < 0) {
            spinWait();
        }
        return index < limit;
    }

    /**
     * The loop's only busy-wait, a few instructions long where it is used. A method of its own
     * so that BlockHound can allow exactly this (it counts {@code Thread.onSpinWait} as blocking).
     */
    static void spinWait() {
        Thread.onSpinWait();
    }

    private RejectedExecutionException rejected(Runnable task) {
        return new RejectedExecutionException("loop '" + name + "' has shut down: task rejected: " + task);
    }

    @Override
    public final TimerHandle schedule(Runnable task, long delay, TimeUnit unit) {
        return scheduleTimer(task, delay, 0, unit);
    }

    @Override
    public final TimerHandle scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
        if (period <= 0) {
            throw new IllegalArgumentException("period <= 0: " + period + " " + unit);
        }
        return scheduleTimer(task, initialDelay, Math.min(unit.toNanos(period), TimerQueue.MAX_DELAY_NANOS), unit);
    }

    private TimerHandle scheduleTimer(Runnable task, long delay, long periodNanos, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        if (state >= ST_SHUTTING_DOWN) {
            throw new RejectedExecutionException("loop '" + name + "' is shutting down: timer rejected: " + task);
        }
        long delayNanos = Math.min(Math.max(0, unit.toNanos(delay)), TimerQueue.MAX_DELAY_NANOS);
        if (inLoop()) {
            if (deadlinesAfterRun()) {
                ScheduledTimer timer = new ScheduledTimer(timers, task, 0, periodNanos);
                timers.addAfterRun(timer, delayNanos); // its deadline is set as the run ends
                return timer;
            }
            ScheduledTimer timer = new ScheduledTimer(timers, task, clock.nanoTime() + delayNanos, periodNanos);
            timers.add(timer);
            return timer;
        }
        long deadline = clock.nanoTime() + delayNanos;
        ScheduledTimer timer = new ScheduledTimer(timers, task, deadline, periodNanos);
        wakeupForTimer(deadline, timers.handOver(timer, deadline)); // the loop puts it in the heap
        return timer;
    }

    @Override
    public final CompletableFuture<IoRegistration> register(SelectableChannel channel, int interestOps, IoHandler handler) {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(handler, "handler");
        if ((interestOps & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("interestOps " + interestOps + " not valid for " + channel);
        }
        CompletableFuture<IoRegistration> result = new CompletableFuture<>();
        if (inLoop()) {
            registerNow(channel, interestOps, handler, result);
        } else {
            try {
                execute(() -> registerNow(channel, interestOps, handler, result));
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(e);
            }
        }
        return result;
    }

    private void registerNow(SelectableChannel channel, int ops, IoHandler handler, CompletableFuture<IoRegistration> result) {
        if (state >= ST_SHUTTING_DOWN) {
            result.completeExceptionally(new RejectedExecutionException(
                    "loop '" + name + "' is shutting down: cannot register " + channel));
            return;
        }
        try {
            result.complete(driver.register(channel, ops, handler));
        } catch (Throwable e) {
            result.completeExceptionally(e);
        }
    }

    @Override
    public final CompletableFuture<Void> shutdownGracefully(Duration quietPeriod, Duration timeout) {
        Objects.requireNonNull(quietPeriod, "quietPeriod");
        Objects.requireNonNull(timeout, "timeout");
        if (quietPeriod.isNegative() || timeout.compareTo(quietPeriod) < 0) {
            throw new IllegalArgumentException("need 0 <= quietPeriod <= timeout: quietPeriod=" + quietPeriod + ", timeout=" + timeout);
        }
        synchronized (this) {
            if (state >= ST_SHUTTING_DOWN) {
                return terminationFuture;
            }
            quietPeriodNanos = quietPeriod.toNanos();
            shutdownTimeoutNanos = timeout.toNanos();
            state = ST_SHUTTING_DOWN;
        }
        shutdownRequested();
        return terminationFuture;
    }

    /**
     * Called on the loop thread: true when the call comes from inside a run (a task, timer or
     * handler), so a timer set now can take its deadline when the run ends (see
     * {@link TimerQueue#addAfterRun}). Every call a {@link ThreadLoop}'s thread makes is. A
     * {@link TestLoop}'s thread is the test's, which also schedules between runs, with the clock
     * moved by hand in between: there the clock is read at the call.
     */
    abstract boolean deadlinesAfterRun();

    /** Called once, on the thread that asked for shutdown, after the state moved. */
    abstract void shutdownRequested();

    @Override
    public final CompletableFuture<Void> terminationFuture() {
        return terminationFuture;
    }

    @Override
    public final boolean isShuttingDown() {
        return state >= ST_SHUTTING_DOWN;
    }

    @Override
    public final boolean isTerminated() {
        return state == ST_TERMINATED;
    }

    final int state() {
        return state;
    }

    final void setState(int newState) {
        STATE.setVolatile(this, newState);
    }

    @Override
    public final LoopMetrics metrics() {
        return new LoopMetrics(name,
                counter(C_ITERATIONS), counter(C_TASKS), counter(C_TIMERS), counter(C_KEYS),
                tasks.size(), timers.pending(), registrationsSnapshot(),
                Duration.ofNanos(counter(C_LONGEST_NANOS)), counter(C_BLOCKED_REPORTS),
                counter(C_WAKEUPS), counter(C_REBUILDS), counter(C_ERRORS));
    }

    /** Channels registered now; loop thread reads exactly, others a racy snapshot. */
    private int registrationsSnapshot() {
        return driver.registrations();
    }

    final long counter(int index) {
        return (long) COUNTERS.getOpaque(counters, index);
    }

    /** Adds to a counter; only the thread that owns that counter may call it. */
    final void count(int index, long delta) {
        COUNTERS.setOpaque(counters, index, (long) COUNTERS.getOpaque(counters, index) + delta);
    }

    /** Adds one to a counter that several threads add to. */
    final void countShared(int index) {
        COUNTERS.getAndAdd(counters, index, 1L);
    }

    /** Raises a maximum; only the watchdog thread calls it. */
    final void countMax(int index, long value) {
        if (value > counter(index)) {
            COUNTERS.setOpaque(counters, index, value);
        }
    }

    // ---- loop-thread work -------------------------------------------------------------------

    /** Runs one task, timer or callback; whatever it throws goes to the error handler. */
    @Override
    public final void runSafely(Runnable task) {
        try {
            task.run();
        } catch (Throwable error) {
            reportError(error);
        }
        progressed();
    }

    /**
     * Loop thread. Timers handed over from another thread wait outside the task queue, so the
     * loop takes one in only once the tasks its thread queued before it have run: it reads how
     * many timers were handed over ({@code h}), then how many tasks were queued ({@code t}); a
     * thread that queued a task and then handed over a timer below {@code h} claimed the task
     * below {@code t}. Once the loop has run the tasks below {@code t}, the timers below
     * {@code h} may run. With no task waiting that is at once; otherwise the pair is kept as a
     * candidate until the tasks have run, while the previous safe limit stands.
     */
    @Override
    public final long handOverLimit() {
        long handedOver = timers.handOversClaimed();
        long queued = tasks.claimed();
        long ran = tasks.consumed();
        if (ran == queued) {
            candidateTasks = -1;
            return safeHandOvers = handedOver;
        }
        if (candidateTasks >= 0 && ran - candidateTasks >= 0) {
            safeHandOvers = candidateHandOvers;
            candidateTasks = -1;
        }
        if (candidateTasks < 0) {
            candidateHandOvers = handedOver;
            candidateTasks = queued;
        }
        return safeHandOvers;
    }

    /** Loop thread. Reports an error to the handler; an {@link Error} is always logged too. */
    final void reportError(Throwable error) {
        count(C_ERRORS, 1);
        LoopErrorHandler handler = options.errorHandler();
        if (error instanceof Error && handler != LoopErrorHandler.LOG) {
            LoopErrorHandler.LOG.onError(this, error); // never swallow an Error silently
        }
        try {
            handler.onError(this, error);
        } catch (Throwable handlerError) {
            handlerError.addSuppressed(error);
            Log.LOGGER.log(System.Logger.Level.ERROR, "Error handler of loop '" + name + "' threw", handlerError);
        }
    }

    /** Loop thread: one more run finished; the watchdog sees the loop move. */
    final void progressed() {
        PROGRESS.setOpaque(this, progress + 1);
        if (timers.hasDeferred()) {
            timers.flushDeferred(); // the timers the run just set: one clock reading for all
        }
    }

    final void markRunning() {
        PHASE.setOpaque(this, PHASE_RUNNING);
    }

    final void markIdle() {
        PHASE.setOpaque(this, PHASE_IDLE);
    }

    /** Watchdog thread: the progress count. */
    final long progressSnapshot() {
        return (long) PROGRESS.getOpaque(this);
    }

    /** Watchdog thread: true while the loop runs user code (not waiting in select). */
    final boolean isRunningSnapshot() {
        return (int) PHASE.getOpaque(this) == PHASE_RUNNING;
    }

    /**
     * Loop thread. Runs queued tasks until the queue is empty or the task quantum is used up
     * (checked every 64 tasks: reading the clock per task would cost more than most tasks).
     *
     * @return how many tasks ran
     */
    final int runTasks() {
        Runnable task = tasks.poll();
        if (task == null) {
            return 0;
        }
        long deadline = clock.nanoTime() + taskQuantumNanos;
        int ran = 0;
        do {
            runSafely(task);
            ran++;
            if ((ran & 63) == 0 && clock.nanoTime() - deadline >= 0) {
                break;
            }
            task = tasks.poll();
        } while (task != null);
        count(C_TASKS, ran);
        return ran;
    }

    /** Loop thread. Runs tasks until the queue is empty, however long that takes. */
    final int runAllTasks() {
        int ran = 0;
        Runnable task;
        while ((task = tasks.poll()) != null) {
            runSafely(task);
            ran++;
        }
        count(C_TASKS, ran);
        return ran;
    }

    /**
     * Loop thread. Moves to {@link #ST_SHUTDOWN}, so that new tasks are rejected, and runs every
     * task accepted before, waiting for those whose producer is still storing it.
     */
    final void stopAcceptingAndRunAccepted() {
        setState(ST_SHUTDOWN);
        long limit = tasks.claimed();
        acceptLimit = limit;
        int ran = 0;
        while (tasks.consumed() < limit) {
            Runnable task = tasks.poll();
            if (task == null) {
                spinWait(); // accepted: its producer claimed the slot and is about to fill it
                continue;
            }
            runSafely(task);
            ran++;
        }
        count(C_TASKS, ran);
    }

    /** Loop thread. Runs the timers due now; returns how many ran. */
    final int runTimers() {
        if (timers.isEmpty()) {
            return 0;
        }
        int ran = timers.runDue(clock.nanoTime(), this);
        timers.purgeIfWorthIt();
        if (ran > 0) {
            count(C_TIMERS, ran);
        }
        return ran;
    }

    /** Loop thread. Selects with {@code timeoutMillis} (see {@link SelectStrategy}); returns keys dispatched. */
    final int select(long timeoutMillis) throws IOException {
        int keys = driver.select(timeoutMillis);
        if (keys > 0) {
            count(C_KEYS, keys);
        }
        return keys;
    }

    /** Loop thread, at the start of shutdown: cancels timers and closes every channel. */
    final void closeTimersAndChannels() {
        timers.cancelAll();
        driver.closeAll(new LoopShutdownException("loop '" + name + "' is shutting down"));
    }

    /**
     * Loop thread, last act, after {@link #stopAcceptingAndRunAccepted()}: closes the selector,
     * drops the tasks that were rejected (their {@code execute} threw) but had taken a slot,
     * completes the termination future.
     */
    final void terminate() {
        timers.cancelAll();
        try {
            driver.close();
        } catch (Throwable e) {
            reportError(e);
        }
        setState(ST_TERMINATED);
        for (;;) {
            if (tasks.poll() == null) {
                if (tasks.isEmpty()) {
                    break;
                }
                spinWait(); // a rejected producer claimed a slot and is about to fill it
            }
        }
        terminationFuture.complete(null);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + "]";
    }
}

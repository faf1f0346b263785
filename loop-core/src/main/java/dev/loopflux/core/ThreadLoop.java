package dev.loopflux.core;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A loop on a thread of its own: the iteration, the wake-up protocol, selector-spin
 * protection and the shutdown sequence. The selector work is {@link NioDriver}'s; the
 * queue, timers and counters are {@link AbstractLoop}'s.
 */
final class ThreadLoop extends AbstractLoop implements Runnable {
    /**
     * {@link #sleepingUntil} when the loop is not in a blocking select: a new task will be seen
     * without a wake-up. Otherwise the field holds when the loop will wake by itself, in nanoseconds
     * since {@link #epoch} (so never negative), or {@link #NO_DEADLINE}.
     */
    private static final long AWAKE = -1L;
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final VarHandle WAKEUP;

    static {
        try {
            WAKEUP = MethodHandles.lookup().findVarHandle(ThreadLoop.class, "sleepingUntil", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Thread thread;
    private final LoopGroup group;
    /** {@link #AWAKE}, or when the sleeping loop wakes by itself; see {@link #wakeupForTask()}. */
    private volatile long sleepingUntil = AWAKE;
    /**
     * While the loop sleeps: the timer hand-over index ({@link TimerQueue#handOver}) from which
     * a hand-over wakes it, whatever its deadline. Written before {@link #sleepingUntil}.
     */
    private volatile long handOverWakeIndex;
    /** Origin of {@link #sleepingUntil}'s deadlines. */
    private final long epoch;
    /** How long an idle loop that just ran tasks spins for the next one before it sleeps. */
    private final long idleSpinNanos;
    /** The last iteration ran queued tasks: another thread is feeding this loop. */
    private boolean ranTasks;
    /** Selects in a row that returned early with nothing to do. */
    private int prematureSelects;
    // Shutdown bookkeeping, loop thread only.
    private boolean shutdownStarted;
    private long shutdownStart;
    private long lastActivity;
    /** While shutting down: when the quiet period or the timeout next needs checking. */
    private long shutdownCheckAt;

    ThreadLoop(String name, LoopOptions options, LoopGroup group) {
        super(name, options, options.clock());
        this.group = group;
        this.epoch = clock.nanoTime();
        this.idleSpinNanos = options.idleSpin().toNanos();
        Thread t = options.threadFactory().newThread(this);
        t.setName(name);
        this.thread = t;
        t.start();
        Watchdog.watch(this);
    }

    /** The group this loop belongs to, or null. */
    LoopGroup group() {
        return group;
    }

    Thread thread() {
        return thread;
    }

    @Override
    boolean deadlinesAfterRun() {
        return true;
    }

    @Override
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * Wakes the selector only if the loop may be sleeping, and only once per sleep: the first
     * producer to flip {@code wakeup} from SLEEPING to AWAKE pays for the system call.
     *
     * <p>The race with the loop going to sleep, case by case (the loop writes SLEEPING, then
     * checks the queue; a producer adds to the queue, then reads {@code wakeup}; all four
     * accesses are sequentially consistent):
     * <ol>
     *   <li>the loop's check sees the task: it selects without blocking (OK);</li>
     *   <li>the loop's check misses the task: then the producer's read, which comes after its
     *   add, must see SLEEPING, and it wakes the selector; a wake-up before the select makes
     *   that select return at once (OK).</li>
     * </ol>
     * The plain read first keeps the common case, a busy loop, free of atomic writes.
     */
    @Override
    void wakeupForTask() {
        if (sleepingUntil != AWAKE && (long) WAKEUP.getAndSet(this, AWAKE) != AWAKE) {
            countShared(C_WAKEUPS);
            driver.wakeup();
        }
    }

    /**
     * A timer was handed over from another thread. The loop must see it before its deadline,
     * nothing more: if the loop sleeps until no later than that deadline anyway, it will take the
     * timer in when it wakes, and no system call is made now (Netty's lazy scheduling); past
     * {@link TimerHandOvers#MAX_BACKLOG} hand-overs it is woken anyway, to take them in. The race
     * with the loop going to sleep is the one of {@link #wakeupForTask()}, on the earliest
     * deadline handed over (the loop writes SLEEPING, then reads that deadline; the producer
     * lowers it, then reads {@code sleepingUntil}; all sequentially consistent):
     * <ol>
     *   <li>the loop's read sees the new deadline: if it comes before the end of the sleep, the
     *   loop does not sleep (OK);</li>
     *   <li>the loop's read misses it: the producer's read then sees SLEEPING, compares the
     *   deadline with the end of the sleep and wakes the loop if it comes first (OK).</li>
     * </ol>
     */
    @Override
    void wakeupForTimer(long deadline, long handOverIndex) {
        long until = sleepingUntil;
        if (until != AWAKE && (Math.max(0, deadline - epoch) < until || handOverIndex >= handOverWakeIndex)
                && (long) WAKEUP.getAndSet(this, AWAKE) != AWAKE) {
            countShared(C_WAKEUPS);
            driver.wakeup();
        }
    }

    @Override
    void shutdownRequested() {
        if (!inLoop()) {
            WAKEUP.setVolatile(this, AWAKE);
            driver.wakeup(); // it may be sleeping with no deadline: make it see the new state
        }
    }

    @Override
    public void run() {
        CURRENT.set(this);
        try {
            while (!iterate()) {
                // next iteration
            }
        } finally {
            // Ensure the loop always terminates cleanly, even if an iteration threw past its guards.
            Watchdog.unwatch(this);
            if (!isTerminated()) {
                stopAcceptingAndRunAccepted();
                terminate();
            }
            CURRENT.remove();
        }
    }

    /** One iteration: select and dispatch IO, run timers, run tasks. Returns true when the loop is done. */
    private boolean iterate() {
        try {
            count(C_ITERATIONS, 1);
            selectAndDispatch();
            runTimers();
            if (state() >= ST_SHUTTING_DOWN) {
                return confirmShutdown();
            }
            ranTasks = runTasks() > 0;
        } catch (Throwable error) {
            reportError(error); // the loop survives whatever happens inside one iteration
        }
        return false;
    }

    private void selectAndDispatch() throws IOException {
        long now = clock.nanoTime();
        boolean shuttingDown = state() >= ST_SHUTTING_DOWN;
        if (!tasks.isEmpty() || timers.hasDue(now) || (shuttingDown && !shutdownStarted)) {
            select(-1);
            return;
        }
        if (ranTasks && idleSpinNanos > 0 && spinForTask()) {
            select(-1);
            return;
        }
        long deadline = shuttingDown ? shutdownCheckAt : timers.nextWake();
        long timeoutMillis = deadline == Long.MAX_VALUE ? 0 : Math.max(1, ceilMillis(deadline - now));
        handOverWakeIndex = timers.handOversTaken() + TimerHandOvers.MAX_BACKLOG;
        WAKEUP.setVolatile(this, deadline == Long.MAX_VALUE ? NO_DEADLINE : Math.max(0, deadline - epoch));
        // See wakeupForTask() and wakeupForTimer(): case 1. Timers handed over meanwhile keep the
        // loop awake only if one may be due before the sleep would end.
        if (!tasks.isEmpty() || (!shuttingDown && earlier(timers.nextDeadline(), deadline))) {
            WAKEUP.setVolatile(this, AWAKE);
            select(-1);
            return;
        }
        markIdle();
        int keys = select(timeoutMillis);
        markRunning();
        boolean wokenUp = (long) WAKEUP.getAndSet(this, AWAKE) == AWAKE;
        if (keys == 0 && !wokenUp && tasks.isEmpty()) {
            checkSpin(now, timeoutMillis);
        } else {
            prematureSelects = 0;
        }
    }

    /**
     * Spin-then-sleep: a loop that another thread keeps feeding tasks would otherwise go to
     * sleep between two of them and cost that thread a wake-up system call each time. So it
     * waits for a task a little while (about one wake-up's cost) before sleeping. Only after an
     * iteration that ran tasks: a loop busy with IO alone never spins.
     *
     * @return true if a task arrived
     */
    private boolean spinForTask() {
        long until = System.nanoTime() + idleSpinNanos;
        do {
            spinWait();
            if (!tasks.isEmpty()) {
                return true;
            }
        } while (System.nanoTime() - until < 0);
        return false;
    }

    /**
     * A select that returned with no key, no wake-up and no task before its timeout is
     * premature; many in a row mean the selector spins (the epoll bug), so it is replaced.
     */
    private void checkSpin(long selectStart, long timeoutMillis) throws IOException {
        int threshold = options.selectorRebuildThreshold();
        long elapsed = clock.nanoTime() - selectStart;
        boolean premature = timeoutMillis == 0 || elapsed < (timeoutMillis - 1) * 1_000_000L;
        if (!premature) {
            prematureSelects = 0;
            return;
        }
        if (threshold > 0 && ++prematureSelects >= threshold) {
            Log.LOGGER.log(System.Logger.Level.WARNING, "Selector of loop '" + name + "' returned early "
                    + prematureSelects + " times in a row; rebuilding it");
            prematureSelects = 0;
            driver.rebuild();
            count(C_REBUILDS, 1);
        }
    }

    /**
     * Loop thread, each iteration while shutting down. The first call closes timers and
     * channels; then tasks run until none came for the quiet period or the timeout passed.
     *
     * @return true when the loop may end
     */
    private boolean confirmShutdown() {
        long now = clock.nanoTime();
        if (!shutdownStarted) {
            shutdownStarted = true;
            shutdownStart = now;
            lastActivity = now;
            // Tasks queued before the shutdown get one quantum first: many are close requests (a
            // server's dispose, say) that end their channels more gracefully than a forced close.
            runTasks();
            closeTimersAndChannels();
        }
        timers.cancelAll(); // timers that hopped in from other threads since
        // One quantum per iteration, not until the queue is empty: a producer that keeps it full
        // must not hold off the timeout check below.
        if (runTasks() > 0) {
            lastActivity = clock.nanoTime();
        }
        now = clock.nanoTime();
        if (now - shutdownStart >= shutdownTimeoutNanos || now - lastActivity >= quietPeriodNanos) {
            stopAcceptingAndRunAccepted();
            terminate();
            return true;
        }
        long quietEnds = lastActivity + quietPeriodNanos;
        long timeoutEnds = shutdownStart + shutdownTimeoutNanos;
        shutdownCheckAt = quietEnds - timeoutEnds < 0 ? quietEnds : timeoutEnds;
        return false;
    }

    /** True if deadline {@code a} comes before {@code b}; {@code Long.MAX_VALUE} is "none". */
    private static boolean earlier(long a, long b) {
        return a != Long.MAX_VALUE && (b == Long.MAX_VALUE || a - b < 0);
    }

    private static long ceilMillis(long nanos) {
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    }
}

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
     * The loop is not in a blocking select: a new task will be seen without a wake-up.
     * Otherwise the field holds {@link #SLEEPING}.
     */
    private static final int AWAKE = 0;
    private static final int SLEEPING = 1;
    /** Longest select while shutting down, so the quiet period is checked often enough. */
    private static final long SHUTDOWN_POLL_MILLIS = 100;

    private static final VarHandle WAKEUP;

    static {
        try {
            WAKEUP = MethodHandles.lookup().findVarHandle(ThreadLoop.class, "wakeup", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Thread thread;
    private final LoopGroup group;
    /** {@link #AWAKE} or {@link #SLEEPING}; see {@link #wakeupForTask()}. */
    private volatile int wakeup = AWAKE;
    /** Selects in a row that returned early with nothing to do. */
    private int prematureSelects;
    // Shutdown bookkeeping, loop thread only.
    private boolean shutdownStarted;
    private long shutdownStart;
    private long lastActivity;

    ThreadLoop(String name, LoopOptions options, LoopGroup group) {
        super(name, options, options.clock());
        this.group = group;
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
        if (wakeup == SLEEPING && (int) WAKEUP.getAndSet(this, AWAKE) == SLEEPING) {
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
            runTasks();
        } catch (Throwable error) {
            reportError(error); // the loop survives whatever happens inside one iteration
        }
        return false;
    }

    private void selectAndDispatch() throws IOException {
        long now = clock.nanoTime();
        if (!tasks.isEmpty() || timers.hasDue(now)) {
            select(-1);
            return;
        }
        long deadline = timers.nextDeadline();
        long timeoutMillis = deadline == Long.MAX_VALUE ? 0 : Math.max(1, ceilMillis(deadline - now));
        if (state() >= ST_SHUTTING_DOWN) {
            timeoutMillis = timeoutMillis == 0 ? SHUTDOWN_POLL_MILLIS : Math.min(timeoutMillis, SHUTDOWN_POLL_MILLIS);
        }
        WAKEUP.setVolatile(this, SLEEPING);
        if (!tasks.isEmpty()) { // see wakeupForTask(): case 1
            WAKEUP.setVolatile(this, AWAKE);
            select(-1);
            return;
        }
        markIdle();
        int keys = select(timeoutMillis);
        markRunning();
        boolean wokenUp = (int) WAKEUP.getAndSet(this, AWAKE) == AWAKE;
        if (keys == 0 && !wokenUp && tasks.isEmpty()) {
            checkSpin(now, timeoutMillis);
        } else {
            prematureSelects = 0;
        }
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
        return false;
    }

    private static long ceilMillis(long nanos) {
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    }
}

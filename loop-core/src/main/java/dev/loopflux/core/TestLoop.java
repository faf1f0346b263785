package dev.loopflux.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The test kit's loop: a real {@link Loop} (real selector, real channels, the same task queue and
 * timers) that has no thread of its own. The thread that creates it is its loop thread, and
 * nothing runs until that thread drives it with {@link #runPending()},
 * {@link #advanceTimeBy(Duration)} or {@link #runUntil(BooleanSupplier, Duration)}. Time comes
 * from a {@link ManualClock} that only those methods move, so code with timeouts, delays and
 * intervals is tested deterministically, without sleeping.
 *
 * <pre>{@code
 * try (TestLoop loop = TestLoop.create()) {
 *     AtomicBoolean fired = new AtomicBoolean();
 *     loop.schedule(() -> fired.set(true), 30, TimeUnit.SECONDS);
 *     loop.advanceTimeBy(Duration.ofSeconds(29));
 *     assertThat(fired).isFalse();
 *     loop.advanceTimeBy(Duration.ofSeconds(1));
 *     assertThat(fired).isTrue();
 * }
 * }</pre>
 *
 * <p>Threading: the driving methods and {@link #close()} must be called on the creating thread.
 * {@link #execute}, {@link #schedule} and the other {@link Loop} methods may be called from any
 * thread, as on any loop; what they queue runs when the creating thread next drives the loop.
 */
public final class TestLoop extends AbstractLoop implements AutoCloseable {
    private final Thread owner;
    private final ManualClock manualClock;
    /** True while a driving method runs: a callback that drives again would select inside select. */
    private boolean driving;

    private TestLoop(String name, LoopOptions options, ManualClock clock) {
        super(name, options, clock);
        this.owner = Thread.currentThread();
        this.manualClock = clock;
        CURRENT.set(this); // the creating thread is this loop's thread until close()
    }

    /** A test loop named {@code "test-loop"} on a new {@link ManualClock} reading 0. */
    public static TestLoop create() {
        return create(new ManualClock());
    }

    /** A test loop on {@code clock}, with default options. */
    public static TestLoop create(ManualClock clock) {
        return create(clock, LoopOptions.builder().name("test-loop").build());
    }

    /** A test loop on {@code clock} with {@code options} (their clock and thread factory are not used). */
    public static TestLoop create(ManualClock clock, LoopOptions options) {
        Objects.requireNonNull(clock, "clock");
        return new TestLoop(options.name(), options, clock);
    }

    /** The manual clock this loop reads. */
    public ManualClock manualClock() {
        return manualClock;
    }

    /**
     * While a driving method runs, the calls on this thread come from the loop's runs: timers
     * set there take their deadline as the run ends, one clock reading for all, as on a loop
     * thread (a run that moves the manual clock sees them measured from its end). Between
     * drives the test's own code reads the clock at the call.
     */
    @Override
    boolean deadlinesAfterRun() {
        return driving;
    }

    @Override
    public boolean inLoop() {
        return Thread.currentThread() == owner;
    }

    @Override
    void wakeupForTask() {
        driver.wakeup(); // only matters while runUntil() waits in select
    }

    @Override
    void wakeupForTimer(long deadline, long handOverIndex) {
        driver.wakeup();
    }

    /**
     * On the creating thread the shutdown happens at once (the manual clock would never end a
     * quiet period); from another thread it happens when the creating thread next drives.
     */
    @Override
    void shutdownRequested() {
        if (inLoop()) {
            finishShutdown();
        } else {
            driver.wakeup();
        }
    }

    private void finishShutdown() {
        closeTimersAndChannels();
        runAllTasks();
        stopAcceptingAndRunAccepted();
        terminate();
        if (CURRENT.get() == this) {
            CURRENT.remove();
        }
    }

    /**
     * Runs everything that can run now without time moving: ready IO (without waiting), due
     * timers and queued tasks, again and again until a round finds nothing to do.
     *
     * @return how many handler calls, timers and tasks ran
     * @throws IllegalStateException if not called on the creating thread, or after close
     */
    public int runPending() {
        checkDriver();
        if (driving) {
            throw reentered("runPending");
        }
        driving = true;
        try {
            return runPendingNow();
        } finally {
            driving = false;
        }
    }

    private int runPendingNow() {
        if (state() == ST_SHUTTING_DOWN) {
            finishShutdown();
            return 0;
        }
        int total = 0;
        for (;;) {
            int ran;
            try {
                ran = select(-1) + runTimers() + runAllTasks();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (ran == 0) {
                return total;
            }
            total += ran;
        }
    }

    /**
     * Moves the clock forward by {@code amount}, stopping at each timer deadline on the way to
     * run what is due then (so a 1 s interval advanced by 5 s runs five times, each at its own
     * time), and runs what is pending at the end.
     */
    public void advanceTimeBy(Duration amount) {
        Objects.requireNonNull(amount, "amount");
        if (amount.isNegative()) {
            throw new IllegalArgumentException("amount < 0: " + amount);
        }
        checkDriver();
        if (driving) {
            throw reentered("advanceTimeBy");
        }
        driving = true;
        try {
            advanceNow(amount);
        } finally {
            driving = false;
        }
    }

    private void advanceNow(Duration amount) {
        long target = manualClock.nanoTime() + amount.toNanos();
        runPendingNow();
        for (;;) {
            long next = timers.nextDeadline();
            if (next == Long.MAX_VALUE || next - target > 0) {
                break;
            }
            if (next - manualClock.nanoTime() > 0) {
                manualClock.set(next);
            }
            runPendingNow();
        }
        manualClock.set(target);
        runPendingNow();
    }

    /**
     * Drives the loop, waiting in select for real IO, until {@code condition} holds or
     * {@code realTimeout} of wall-clock time has passed. The manual clock does not move. For
     * tests whose peers are real sockets on other threads.
     *
     * @return true if the condition held, false on timeout
     */
    public boolean runUntil(BooleanSupplier condition, Duration realTimeout) {
        Objects.requireNonNull(condition, "condition");
        checkDriver();
        if (driving) {
            throw reentered("runUntil");
        }
        driving = true;
        try {
            return runUntilNow(condition, realTimeout);
        } finally {
            driving = false;
        }
    }

    private boolean runUntilNow(BooleanSupplier condition, Duration realTimeout) {
        long deadline = System.nanoTime() + realTimeout.toNanos();
        for (;;) {
            runPendingNow();
            if (condition.getAsBoolean()) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                select(Math.max(1, Math.min(10, left / 1_000_000)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Shuts the loop down at once on the creating thread: timers cancelled, channels closed,
     * queued tasks run, selector closed. Idempotent.
     */
    @Override
    public void close() {
        if (!isShuttingDown()) {
            shutdownGracefully(Duration.ZERO, Duration.ZERO);
        } else if (state() == ST_SHUTTING_DOWN && inLoop()) {
            finishShutdown();
        }
    }

    private IllegalStateException reentered(String method) {
        return new IllegalStateException(method + "() called from inside a callback of test loop '" + name
                + "' while it is being driven; drive it from the test's own steps (for StepVerifier: a then() placed "
                + "before the expectation, not after one that a signal of this loop satisfies)");
    }

    private void checkDriver() {
        if (!inLoop()) {
            throw new IllegalStateException("a TestLoop is driven by the thread that created it (" + owner.getName()
                    + "), not " + Thread.currentThread().getName());
        }
        if (state() >= ST_SHUTDOWN) {
            throw new IllegalStateException("test loop '" + name + "' is shut down");
        }
    }
}

package dev.loopflux.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One timer in a {@link TimerQueue}: a task, when it is due, and whether it repeats.
 *
 * <p>Kept small on purpose (48 bytes with compressed references): a loop may hold a million of
 * them. It is its own heap entry and its own cancellation handle; there is no wrapper.
 *
 * <p>{@link #cancel()} is safe from any thread: it flips {@link #state} with one CAS and counts
 * the cancellation; the loop drops the timer lazily, when it reaches the top of the heap or
 * when cancelled timers make up half the heap (see {@link TimerQueue#purgeIfWorthIt()}).
 */
final class ScheduledTimer implements TimerHandle, Runnable {
    static final int PENDING = 0;
    static final int DONE = 1;
    static final int CANCELLED = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ScheduledTimer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Loop-clock time at which the task is due; moved forward by {@link #period} after each run.
     * Holds the delay instead while the timer waits in {@link TimerQueue#addAfterRun}.
     */
    long deadline;
    /** Tie-breaker among equal deadlines: lower runs first (FIFO). Assigned by the queue on insert. */
    long seq;
    /** Nanoseconds between runs for a fixed-rate timer; 0 for a one-shot timer. */
    final long period;
    /**
     * What to run; the user's object, never wrapped. Dropped when the timer is cancelled, so that
     * a cancelled timer waiting in the heap to be swept (cancellation is lazy) does not keep the
     * task, and whatever the task refers to, reachable.
     */
    volatile Runnable task;
    /** The queue that counts this timer's cancellation. */
    final TimerQueue queue;
    /** {@link #PENDING}, {@link #DONE} or {@link #CANCELLED}; only ever leaves PENDING. */
    private volatile int state;

    ScheduledTimer(TimerQueue queue, Runnable task, long deadline, long period) {
        this.queue = queue;
        this.task = task;
        this.deadline = deadline;
        this.period = period;
    }

    @Override
    public boolean cancel() {
        if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
            task = null;
            queue.cancelled();
            return true;
        }
        return false;
    }

    /**
     * The hand-over task of a timer scheduled from another thread: runs on the loop and puts the
     * timer in the heap. (Being its own hand-over task saves an allocation per timer.)
     */
    @Override
    public void run() {
        queue.add(this);
    }

    /** Loop thread: claims a one-shot timer for running; false if it was cancelled first. */
    boolean markDone() {
        return STATE.compareAndSet(this, PENDING, DONE);
    }

    /** Loop thread, at shutdown: cancels without counting (the queue is being cleared). */
    void cancelSilently() {
        if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
            task = null;
        }
    }

    boolean isPending() {
        return state == PENDING;
    }

    @Override
    public boolean isCancelled() {
        return state == CANCELLED;
    }

    @Override
    public boolean isDone() {
        return state != PENDING;
    }

    /** Heap order: earlier deadline first, then earlier insertion. Overflow-safe. */
    boolean before(ScheduledTimer other) {
        long d = deadline - other.deadline;
        return d < 0 || (d == 0 && seq < other.seq);
    }

    @Override
    public String toString() {
        String s = state == PENDING ? "pending" : state == DONE ? "done" : "cancelled";
        return "Timer[" + s + ", deadline=" + deadline + (period > 0 ? ", period=" + period : "") + ", " + task + "]";
    }
}

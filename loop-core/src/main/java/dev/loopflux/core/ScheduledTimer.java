package dev.loopflux.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One timer in a {@link TimerQueue}: a task, when it is due, and whether it repeats.
 *
 * <p>Kept small on purpose (40 bytes with compressed references): a loop may hold a million of
 * them. It is its own heap entry and its own cancellation handle; there is no wrapper. Its
 * deadline is not here but in the queue's {@code long[]} next to its heap slot, where the heap's
 * comparisons read it without a pointer chase.
 *
 * <p>{@link #cancel()} is safe from any thread: it flips {@link #state} with one CAS and counts
 * the cancellation; the loop drops the timer lazily, when it reaches the top of the heap or
 * when cancelled timers make up half the heap (see {@link TimerQueue#purgeIfWorthIt()}).
 */
final class ScheduledTimer implements TimerHandle {
    static final int PENDING = 0;
    static final int DONE = 1;
    static final int CANCELLED = 2;

    private static final VarHandle STATE;
    private static final VarHandle TASK;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(ScheduledTimer.class, "state", int.class);
            TASK = lookup.findVarHandle(ScheduledTimer.class, "task", Runnable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * In the queue: the tie-breaker among equal deadlines, lower runs first (FIFO), assigned when
     * the timer is scheduled on the loop or reaches it. Before that, for a timer handed over from
     * another thread, its deadline, which {@link TimerQueue#add} moves to the queue's keys (one
     * field for both keeps the timer at 40 bytes).
     */
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

    /**
     * @param deadline when it is due, for {@link TimerQueue#add}; unused by
     *     {@link TimerQueue#addAfterRun}, which takes the delay
     */
    ScheduledTimer(TimerQueue queue, Runnable task, long deadline, long period) {
        this.queue = queue;
        // A plain write: a volatile one costs a full fence per timer (about 6 ns of a schedule).
        // The timer reaches other threads through the task queue or the caller's own hand-off.
        TASK.set(this, task);
        this.seq = deadline;
        this.period = period;
    }

    @Override
    public boolean cancel() {
        if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
            TASK.setRelease(this, null); // after the CAS (a full fence), no second fence is needed
            queue.cancelled();
            return true;
        }
        return false;
    }

    /**
     * Loop thread, once {@link #markDone()} succeeded: the task, which the timer lets go of (the
     * handle the user may keep no longer holds it).
     */
    Runnable takeTask() {
        Runnable t = task;
        TASK.setRelease(this, null);
        return t;
    }

    /** Loop thread: claims a one-shot timer for running; false if it was cancelled first. */
    boolean markDone() {
        return STATE.compareAndSet(this, PENDING, DONE);
    }

    /** Loop thread, at shutdown: cancels without counting (the queue is being cleared). */
    void cancelSilently() {
        if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
            TASK.setRelease(this, null);
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

    @Override
    public String toString() {
        String s = state == PENDING ? "pending" : state == DONE ? "done" : "cancelled";
        return "Timer[" + s + (period > 0 ? ", period=" + period : "") + ", " + task + "]";
    }
}

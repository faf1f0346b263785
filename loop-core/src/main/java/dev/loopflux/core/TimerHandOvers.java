package dev.loopflux.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * Timers scheduled on a loop from other threads, on their way into its {@link TimerQueue}, with
 * the earliest of their deadlines.
 *
 * <p>The loop takes them in only when one of them may be due within
 * {@link #TAKE_IN_AHEAD_NANOS}, or when too many wait ({@link #MAX_BACKLOG}). Until then it does
 * not touch them, and it sleeps no later than {@link #takeInAt()}. A thread that schedules timeouts and cancels most of them
 * soon after (the common case) then keeps its timers in its own cache: the loop meets them once
 * they are cancelled, in a batch, instead of one at a time right behind the scheduling thread,
 * each cache line moving to the loop and back for the cancel. Measured from another thread:
 * {@code Mono.delay} + {@code dispose()} went from about 340 to about 130 ns.
 *
 * <p>The protocol, which keeps {@link #earliest()} no later than the deadline of any timer
 * handed over and not yet taken in (the loop resets it, then reads how many were claimed; a
 * producer claims its slot, stores the timer, then lowers the earliest deadline; all
 * sequentially consistent):
 * <ol>
 *   <li>the producer's claim comes before the loop's read: the take reaches its slot. If the
 *   timer is there, it is taken in (OK); if its producer is still storing it, the take stops
 *   there and sets the earliest deadline to now, so that the loop comes back at once (OK);</li>
 *   <li>the claim comes after the read: then the producer's update of the earliest deadline
 *   comes after the reset, and stands (OK).</li>
 * </ol>
 * A sleeping loop is woken by the producer itself when the new deadline comes before the end of
 * the sleep, or when the backlog is full ({@link ThreadLoop#wakeupForTimer}).
 *
 * <p>Threading: {@link #offer} from any thread; the rest on the loop thread, except the
 * snapshot {@link #size()}.
 */
final class TimerHandOvers {
    /**
     * Timers that may wait to be taken in, at most; past this many the loop takes them in (a
     * sleeping one is woken): about 2.5 MiB of timers a loop may hold that are cancelled but
     * not yet dropped. Large enough that a thread scheduling and cancelling bursts of timeouts
     * mostly hands over timers already cancelled.
     */
    static final int MAX_BACKLOG = 65_536;
    /** {@link #earliest} when no timer waits. */
    static final long NONE = Long.MAX_VALUE;
    /**
     * How long before its deadline a timer handed over is worth taking in: a burst of timers
     * from another thread is then in the heap, sorted, when it falls due, instead of being
     * taken in then, late by the time that takes (about 1 ms for 10,000 timers). Timers further
     * off are left alone: most timeouts are cancelled long before.
     */
    static final long TAKE_IN_AHEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final VarHandle EARLIEST;

    static {
        try {
            EARLIEST = MethodHandles.lookup().findVarHandle(TimerHandOvers.class, "earliest", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final TaskQueue<ScheduledTimer> queue = new TaskQueue<>();
    /** No later than the deadline of every timer waiting here (see the class comment), or {@link #NONE}. */
    private volatile long earliest = NONE;

    /**
     * Any thread. Hands {@code timer}, due at {@code deadline}, over to the loop.
     *
     * @return its index among the hand-overs (see {@link #taken()})
     */
    long offer(ScheduledTimer timer, long deadline) {
        long index = queue.offer(timer);
        lower(deadline);
        return index;
    }

    /** Makes {@link #earliest} no later than {@code deadline}. Usually a read only: deadlines mostly come later. */
    private void lower(long deadline) {
        long current = earliest;
        while (current == NONE || deadline - current < 0) {
            long witness = (long) EARLIEST.compareAndExchange(this, current, deadline);
            if (witness == current) {
                return;
            }
            current = witness;
        }
    }

    /** Any thread: timers handed over so far, the index the next one takes. */
    long claimed() {
        return queue.claimed();
    }

    /** Loop thread: timers taken in so far, the index of the next one to take. */
    long taken() {
        return queue.consumed();
    }

    /** Any thread: timers waiting; a snapshot. */
    int size() {
        return queue.size();
    }

    /** Loop thread. */
    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Loop thread: no later than the deadline of every timer waiting, or {@link #NONE}. */
    long earliest() {
        return earliest;
    }

    /** Loop thread: must the loop take the timers in at {@code now}? One may be due, or too many wait. */
    boolean due(long now) {
        long e = earliest;
        return (e != NONE && e - now <= 0) || queue.size() >= MAX_BACKLOG;
    }

    /** Loop thread: is it worth taking the timers in at {@code now}? See {@link #TAKE_IN_AHEAD_NANOS}. */
    boolean worthTakingIn(long now) {
        long e = earliest;
        return (e != NONE && e - now <= TAKE_IN_AHEAD_NANOS) || queue.size() >= MAX_BACKLOG;
    }

    /** Loop thread: when to take the timers in, at the latest: {@link #TAKE_IN_AHEAD_NANOS} before the earliest deadline, or {@link #NONE}. */
    long takeInAt() {
        long e = earliest;
        return e == NONE ? NONE : e - TAKE_IN_AHEAD_NANOS;
    }

    /**
     * Loop thread. Starts taking the timers in: from here on {@link #earliest} counts only the
     * timers handed over after this call.
     *
     * @return the index at which the take ends, for {@link #next}
     */
    long startTake() {
        EARLIEST.getAndSet(this, NONE);
        return queue.claimed();
    }

    /**
     * Loop thread. A take that ended before the index {@link #startTake()} returned leaves
     * timers whose deadlines {@link #earliest} no longer counts: the loop is to come back for them
     * as soon as it looks at its timers again (due at {@code now}).
     */
    void comeBackAt(long now) {
        lower(now);
    }

    /**
     * Loop thread. The next timer of the take that ends at {@code limit}, or null once there. A
     * timer still being stored by its producer ends the take early: the loop comes back for it
     * as soon as it looks at its timers again (due at {@code now}).
     */
    ScheduledTimer next(long limit, long now) {
        if (queue.consumed() - limit >= 0) {
            return null;
        }
        ScheduledTimer timer = queue.poll();
        if (timer == null) {
            comeBackAt(now);
        }
        return timer;
    }
}

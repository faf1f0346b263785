package dev.loopflux.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The timers of one loop: a binary min-heap on (deadline, insertion order) with lazy
 * cancellation.
 *
 * <p>Insert is O(log n) worst case and O(1) on average for random deadlines. Cancel is O(1)
 * from any thread (a CAS on the timer and an atomic count here); cancelled timers are dropped
 * when they reach the top, or all at once when they are half of the heap, so that memory stays
 * bounded by twice the live timers and the sweep costs O(1) amortized per cancel.
 *
 * <p>Threading: everything but {@link #cancelled()} and {@link #pending()} runs on the loop
 * thread.
 */
final class TimerQueue {
    /** Below this size a purge is not worth a sweep: cancelled timers are dropped at the top. */
    private static final int MIN_PURGE_SIZE = 64;
    /** Delays are clamped here so that {@code now + delay} never overflows (about 146 years). */
    static final long MAX_DELAY_NANOS = Long.MAX_VALUE >> 1;

    private static final VarHandle CANCELLED_COUNT;

    static {
        try {
            CANCELLED_COUNT = MethodHandles.lookup().findVarHandle(TimerQueue.class, "cancelledCount", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ScheduledTimer[] heap = new ScheduledTimer[64];
    /** Entries in {@link #heap}, cancelled ones included. Published for {@link #pending()}. */
    private volatile int size;
    /** Cancelled timers still in the heap (or about to be inserted); counted from any thread. */
    private volatile int cancelledCount;
    private long nextSeq;
    /**
     * Timers set on the loop thread during the current run, whose {@code deadline} still holds
     * their delay: they get one clock reading between them when the run ends (see
     * {@link #addAfterRun}). Loop thread only.
     */
    private ScheduledTimer[] deferred = new ScheduledTimer[16];
    private int deferredCount;
    private final Clock clock;
    /** Set at shutdown: from then on every timer is cancelled on arrival. */
    private boolean closed;

    TimerQueue(Clock clock) {
        this.clock = clock;
    }

    /** Timers not yet cancelled nor run; a snapshot, from any thread. */
    int pending() {
        return Math.max(0, size + deferredCount - cancelledCount);
    }

    boolean isEmpty() {
        return size == 0 && deferredCount == 0;
    }

    /**
     * Loop thread. Takes a timer whose {@code deadline} field holds its delay; it becomes due that
     * long after the end of the current run (task, timer or handler), when {@link #flushDeferred()}
     * reads the clock once for every timer the run set. Reading the clock costs about as much as
     * the rest of scheduling a timer, and a timer measured from the end of the run is never early.
     */
    void addAfterRun(ScheduledTimer timer) {
        if (deferredCount == deferred.length) {
            deferred = Arrays.copyOf(deferred, deferredCount * 2);
        }
        deferred[deferredCount++] = timer;
    }

    boolean hasDeferred() {
        return deferredCount != 0;
    }

    /** Loop thread. Gives the timers set during this run their deadlines, and puts them in the heap. */
    void flushDeferred() {
        int n = deferredCount;
        if (n == 0) {
            return;
        }
        long now = clock.nanoTime();
        ScheduledTimer[] d = deferred;
        for (int i = 0; i < n; i++) {
            ScheduledTimer timer = d[i];
            d[i] = null;
            timer.deadline += now; // it held the delay
            add(timer);
        }
        deferredCount = 0;
        if (d.length > 1024 && n < d.length >> 2) {
            deferred = new ScheduledTimer[16]; // a burst is over: give its array back
        }
    }

    /** Called by {@link ScheduledTimer#cancel()} from any thread. */
    void cancelled() {
        CANCELLED_COUNT.getAndAdd(this, 1);
    }

    /** Loop thread. Inserts a timer unless it was cancelled before it got here. */
    void add(ScheduledTimer timer) {
        if (closed) {
            timer.cancelSilently(); // scheduled from another thread just before shutdown
            return;
        }
        if (!timer.isPending()) {
            if (timer.isCancelled()) {
                CANCELLED_COUNT.getAndAdd(this, -1); // it never entered the heap
            }
            return;
        }
        timer.seq = nextSeq++;
        int n = size;
        if (n == heap.length) {
            heap = Arrays.copyOf(heap, n + (n >> 1));
        }
        siftUp(n, timer);
        size = n + 1;
    }

    /**
     * Loop thread. Deadline of the earliest live timer, or {@code Long.MAX_VALUE} when there is
     * none. Drops cancelled timers found at the top.
     */
    long nextDeadline() {
        ScheduledTimer top = peekLive();
        return top == null ? Long.MAX_VALUE : top.deadline;
    }

    /** True when a live timer is due at {@code now}. Loop thread. */
    boolean hasDue(long now) {
        ScheduledTimer top = peekLive();
        return top != null && top.deadline - now <= 0;
    }

    /**
     * Loop thread. Removes and returns the earliest live timer if it is due at {@code now} and
     * was inserted before sequence number {@code seqLimit}; otherwise {@code null}. The limit
     * keeps a fixed-rate timer that fell behind from running again in the same pass.
     */
    ScheduledTimer pollDue(long now, long seqLimit) {
        ScheduledTimer top = peekLive();
        if (top == null || top.deadline - now > 0 || top.seq >= seqLimit) {
            return null;
        }
        removeTop();
        return top;
    }

    /**
     * Loop thread. Runs every timer due at {@code now} through {@code runner}, in deadline
     * order; a fixed-rate timer is put back for its next period and, if that is due already,
     * runs on the next pass (so that IO and tasks get their turn in between).
     *
     * @return how many timers ran
     */
    int runDue(long now, TaskRunner runner) {
        flushDeferred();
        long seqLimit = nextSeq;
        int ran = 0;
        ScheduledTimer t;
        while ((t = pollDue(now, seqLimit)) != null) {
            if (t.period == 0) {
                if (!t.markDone()) {
                    CANCELLED_COUNT.getAndAdd(this, -1); // cancelled between the peek and here
                    continue;
                }
                Runnable task = t.task;
                t.task = null; // done: the handle the user may keep no longer holds the task
                runner.runSafely(task);
            } else {
                Runnable task = t.task; // null if cancelled from another thread just now
                if (task != null) {
                    runner.runSafely(task);
                }
                if (t.isPending()) {
                    t.deadline += t.period;
                    add(t);
                } else {
                    CANCELLED_COUNT.getAndAdd(this, -1); // cancelled while it ran, already out of the heap
                }
            }
            ran++;
        }
        return ran;
    }

    /** What runs a timer's task: the loop, which reports what the task throws. */
    interface TaskRunner {
        void runSafely(Runnable task);
    }

    /**
     * Loop thread. Sweeps cancelled timers out in one O(n) pass when they are at least half the
     * heap: far cheaper than popping them off the top one sift at a time (a million cancelled
     * timers: tens of milliseconds instead of more than a second).
     *
     * @return true if it swept
     */
    boolean purgeIfWorthIt() {
        int n = size;
        int cancelled = cancelledCount;
        if (n < MIN_PURGE_SIZE || cancelled < (n >> 1)) {
            return false;
        }
        ScheduledTimer[] h = heap;
        int live = 0;
        int removed = 0;
        for (int i = 0; i < n; i++) {
            ScheduledTimer t = h[i];
            if (t.isCancelled()) {
                removed++;
            } else {
                h[live++] = t;
            }
        }
        Arrays.fill(h, live, n, null);
        CANCELLED_COUNT.getAndAdd(this, -removed);
        for (int i = (live >>> 1) - 1; i >= 0; i--) {
            siftDown(i, h[i], live);
        }
        size = live;
        if (h.length > 4 * MIN_PURGE_SIZE && live < h.length >> 2) {
            heap = Arrays.copyOf(h, Math.max(MIN_PURGE_SIZE, live * 2));
        }
        return true;
    }

    /** Loop thread, at shutdown: cancels every timer, empties the heap, and cancels any timer added later. */
    void cancelAll() {
        closed = true;
        flushDeferred(); // cancelled below with the rest
        ScheduledTimer[] h = heap;
        for (int i = 0, n = size; i < n; i++) {
            h[i].cancelSilently();
            h[i] = null;
        }
        size = 0;
        cancelledCount = 0;
    }

    private ScheduledTimer peekLive() {
        flushDeferred(); // set outside any run (a TestLoop's test code): due from now
        while (size > 0) {
            ScheduledTimer top = heap[0];
            if (!top.isCancelled()) {
                return top;
            }
            if (purgeIfWorthIt()) {
                continue; // many cancelled: sweep them all at once rather than pop them one by one
            }
            removeTop();
            CANCELLED_COUNT.getAndAdd(this, -1);
        }
        return null;
    }

    /** Timers in the heap, cancelled ones not yet dropped included. */
    int heapSize() {
        return size;
    }

    private void removeTop() {
        int n = size - 1;
        ScheduledTimer last = heap[n];
        heap[n] = null;
        size = n;
        if (n > 0) {
            siftDown(0, last, n);
        }
    }

    private void siftUp(int index, ScheduledTimer timer) {
        ScheduledTimer[] h = heap;
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            ScheduledTimer p = h[parent];
            if (!timer.before(p)) {
                break;
            }
            h[index] = p;
            index = parent;
        }
        h[index] = timer;
    }

    private void siftDown(int index, ScheduledTimer timer, int n) {
        ScheduledTimer[] h = heap;
        int half = n >>> 1;
        while (index < half) {
            int child = 2 * index + 1;
            ScheduledTimer c = h[child];
            int right = child + 1;
            if (right < n && h[right].before(c)) {
                child = right;
                c = h[child];
            }
            if (!c.before(timer)) {
                break;
            }
            h[index] = c;
            index = child;
        }
        h[index] = timer;
    }
}

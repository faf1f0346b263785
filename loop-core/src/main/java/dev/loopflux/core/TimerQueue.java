package dev.loopflux.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The timers of one loop: a 4-ary min-heap on (deadline, sequence number) with lazy
 * cancellation.
 *
 * <p>Layout: {@code heap[i]} is a timer and {@code keys[i]} its deadline, so that the heap's
 * comparisons read a {@code long[]} instead of chasing a pointer per comparison (ties, rare
 * except under a manual clock, read the sequence numbers). Four children per node halve the
 * depth of a binary heap: an insert with a random deadline moves 0.5 entries on average instead
 * of 1.3, and every entry moved is a reference stored into an old-generation array, which costs
 * G1 a card-marking barrier with a full fence; a removal visits half the levels, reading four
 * adjacent keys at each. Measured at a million random deadlines: inserting them costs a third
 * of what it did in a binary heap of timers, removing them 30% less.
 *
 * <p>Insert is O(log n) worst case and O(1) on average for random deadlines. Cancel is O(1)
 * from any thread (a CAS on the timer and an atomic count here); cancelled timers are dropped
 * when they reach the top, or all at once when they are half of the heap, so that memory stays
 * bounded by twice the live timers and the sweep costs O(1) amortized per cancel.
 *
 * <p>Timers scheduled from other threads wait in {@link TimerHandOvers} until one of them may be
 * due or too many wait; {@link #nextDeadline()} and {@link #hasDue} count them in.
 *
 * <p>Timers set during a run on the loop thread ({@link #addAfterRun}) wait right behind the
 * heap, in {@code heap[size, size + deferredCount)} with their delays as keys, until the run
 * ends: then one clock reading gives them all their deadlines, and each is sifted up from where
 * it already is (most do not move: no second store).
 *
 * <p>Threading: everything but {@link #cancelled()} and {@link #pending()} runs on the loop
 * thread.
 *
 * <p>Longer than most files here: the heap and the run's timers share the two arrays, and the
 * sift loops are the hot path of every timer, kept next to the invariants they keep.
 */
final class TimerQueue {
    /** Below this size a purge is not worth a sweep: cancelled timers are dropped at the top. */
    private static final int MIN_PURGE_SIZE = 64;
    /** Delays are clamped here so that {@code now + delay} never overflows (about 146 years). */
    static final long MAX_DELAY_NANOS = Long.MAX_VALUE >> 1;
    /** The heap is 4-ary: the children of {@code i} are {@code 4i + 1 .. 4i + 4}. */
    private static final int LOG_ARITY = 2;
    private static final int ARITY = 1 << LOG_ARITY;

    private static final VarHandle CANCELLED_COUNT;
    private static final VarHandle SIZE;
    private static final VarHandle DEFERRED_COUNT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CANCELLED_COUNT = lookup.findVarHandle(TimerQueue.class, "cancelledCount", int.class);
            SIZE = lookup.findVarHandle(TimerQueue.class, "size", int.class);
            DEFERRED_COUNT = lookup.findVarHandle(TimerQueue.class, "deferredCount", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The heap, then the timers set by the current run; null past them. */
    private ScheduledTimer[] heap = new ScheduledTimer[64];
    /** Deadline of {@code heap[i]}; for a timer set by the current run, its delay until the run ends. */
    private long[] keys = new long[64];
    /**
     * Entries in the heap, cancelled ones included. Read by {@link #pending()} from any thread;
     * written with opaque stores (a volatile store would cost a fence per insert).
     */
    private volatile int size;
    /** Timers set by the current run, behind the heap; see {@link #addAfterRun}. Written like {@link #size}. */
    private volatile int deferredCount;
    /** Timers scheduled from other threads, not yet taken in. */
    private final TimerHandOvers handOvers = new TimerHandOvers();
    /** Cancelled timers still in the heap (or about to be inserted); counted from any thread. */
    private volatile int cancelledCount;
    private long nextSeq;
    private final Clock clock;
    /** Set at shutdown: from then on every timer is cancelled on arrival. */
    private boolean closed;

    TimerQueue(Clock clock) {
        this.clock = clock;
    }

    /** Timers not yet cancelled nor run; a snapshot, from any thread. */
    int pending() {
        return Math.max(0, size + deferredCount + handOvers.size() - cancelledCount);
    }

    /** Loop thread: no timer in the heap, set by this run, or handed over. */
    boolean isEmpty() {
        return size == 0 && deferredCount == 0 && handOvers.isEmpty();
    }

    /**
     * Any thread. Hands over a timer scheduled off the loop, due at {@code deadline} (which its
     * {@code seq} holds too); the loop takes it in when it may be due.
     *
     * @return its index among the hand-overs (see {@link #handOversTaken()})
     */
    long handOver(ScheduledTimer timer, long deadline) {
        return handOvers.offer(timer, deadline);
    }

    /** Any thread: how many timers were handed over so far (the index the next one takes). */
    long handOversClaimed() {
        return handOvers.claimed();
    }

    /** Loop thread: how many timers handed over were taken in (or dropped) so far. */
    long handOversTaken() {
        return handOvers.taken();
    }

    /**
     * Loop thread. Puts the timers handed over until now, below index {@code limit}, into the
     * heap (not those handed over meanwhile: a thread that keeps scheduling cannot keep the loop
     * here). Those cancelled on the way are dropped, with one update of the count for all.
     */
    private void takeHandOvers(long now, long limit) {
        TimerHandOvers h = handOvers;
        long claimed = h.startTake();
        if (limit - claimed < 0) {
            h.comeBackAt(now); // the rest waits for the tasks queued before it (see TaskRunner)
        } else {
            limit = claimed;
        }
        int dropped = 0;
        ScheduledTimer timer;
        while ((timer = h.next(limit, now)) != null) {
            if (closed) {
                timer.cancelSilently(); // scheduled from another thread just before shutdown
            } else if (timer.isPending()) {
                long deadline = timer.seq;
                timer.seq = nextSeq++;
                insert(timer, deadline);
            } else {
                dropped++; // cancelled: it never entered the heap
            }
        }
        if (dropped != 0) {
            CANCELLED_COUNT.getAndAdd(this, -dropped);
        }
    }

    /**
     * Loop thread. Takes a timer that becomes due {@code delayNanos} after the end of the current
     * run (task, timer or handler), when {@link #flushDeferred()} reads the clock once for every
     * timer the run set. Reading the clock costs about as much as the rest of scheduling a timer,
     * and a timer measured from the end of the run is never early. Its place in the FIFO order
     * among equal deadlines is taken now.
     */
    void addAfterRun(ScheduledTimer timer, long delayNanos) {
        timer.seq = nextSeq++;
        int d = deferredCount;
        int i = size + d;
        if (i == heap.length) {
            grow();
        }
        heap[i] = timer;
        keys[i] = delayNanos;
        DEFERRED_COUNT.setOpaque(this, d + 1);
    }

    boolean hasDeferred() {
        return deferredCount != 0;
    }

    /**
     * Loop thread. Gives the timers set during this run their deadlines and sifts them into the
     * heap; those cancelled in the same run never enter it.
     */
    void flushDeferred() {
        int n = deferredCount;
        if (n == 0) {
            return;
        }
        long now = clock.nanoTime();
        ScheduledTimer[] h = heap;
        long[] k = keys;
        int i = size;
        int end = i + n;
        int dropped = 0;
        while (i < end) {
            ScheduledTimer timer = h[i];
            if (closed) {
                timer.cancelSilently(); // set while the loop shuts down: not counted
            }
            if (!timer.isPending()) { // cancelled, for good: the last one takes its place (the order is in seq)
                if (!closed) {
                    dropped++; // counted by its cancel(), which may come from another thread at any time
                }
                end--;
                h[i] = h[end];
                k[i] = k[end];
                h[end] = null;
                continue;
            }
            siftUp(i, timer, k[i] + now); // the key held the delay
            i++;
        }
        DEFERRED_COUNT.setOpaque(this, 0);
        SIZE.setOpaque(this, end);
        if (dropped != 0) {
            CANCELLED_COUNT.getAndAdd(this, -dropped);
        }
    }

    /** Called by {@link ScheduledTimer#cancel()} from any thread. */
    void cancelled() {
        CANCELLED_COUNT.getAndAdd(this, 1);
    }

    /**
     * Loop thread. Inserts a timer whose {@code seq} holds its deadline (see
     * {@link ScheduledTimer#seq}) at once, unless it was cancelled before it got here. For a
     * {@link TestLoop}'s own thread between runs, and tests.
     */
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
        long deadline = timer.seq;
        timer.seq = nextSeq++;
        insert(timer, deadline);
    }

    private void insert(ScheduledTimer timer, long deadline) {
        flushDeferred(); // the run's timers sit right behind the heap: they go in first
        int n = size;
        if (n == heap.length) {
            grow();
        }
        heap[n] = timer;
        siftUp(n, timer, deadline);
        SIZE.setOpaque(this, n + 1);
    }

    /**
     * Loop thread. Deadline of the earliest live timer, or {@code Long.MAX_VALUE} when there is
     * none; for the timers handed over and not yet taken in, no later than the earliest of their
     * deadlines. Drops cancelled timers found at the top.
     */
    long nextDeadline() {
        long handedOver = handOvers.earliest(); // NONE is Long.MAX_VALUE
        if (peekLive() == null) {
            return handedOver;
        }
        long top = keys[0];
        return handedOver == TimerHandOvers.NONE || top - handedOver <= 0 ? top : handedOver;
    }

    /**
     * Loop thread. When the loop should next look at its timers: the deadline of the earliest
     * live timer, or earlier, when timers handed over are to be taken in (see
     * {@link TimerHandOvers#takeInAt()}); {@code Long.MAX_VALUE} for never.
     */
    long nextWake() {
        long takeIn = handOvers.takeInAt();
        if (peekLive() == null) {
            return takeIn;
        }
        long top = keys[0];
        return takeIn == TimerHandOvers.NONE || top - takeIn <= 0 ? top : takeIn;
    }

    /**
     * True when a live timer is due at {@code now}, or a timer handed over may be, or the
     * timers handed over must be taken in anyway. Loop thread.
     */
    boolean hasDue(long now) {
        return (peekLive() != null && keys[0] - now <= 0) || handOvers.due(now);
    }

    /**
     * Loop thread. Runs every timer due at {@code now} through {@code runner}, in deadline
     * order; a fixed-rate timer is put back for its next period and, if that is due already,
     * runs on the next pass (so that IO and tasks get their turn in between): only timers
     * inserted before this pass began (lower sequence numbers) run in it.
     *
     * @return how many timers ran
     */
    int runDue(long now, TaskRunner runner) {
        flushDeferred();
        if (handOvers.worthTakingIn(now)) {
            takeHandOvers(now, runner.handOverLimit());
        }
        long seqLimit = nextSeq;
        int ran = 0;
        ScheduledTimer t;
        while ((t = peekLive()) != null) {
            long deadline = keys[0];
            if (deadline - now > 0 || t.seq >= seqLimit) {
                break;
            }
            removeTop();
            if (t.period == 0) {
                if (!t.markDone()) {
                    CANCELLED_COUNT.getAndAdd(this, -1); // cancelled between the peek and here
                    continue;
                }
                runner.runSafely(t.takeTask());
            } else {
                Runnable task = t.task; // null if cancelled from another thread just now
                if (task != null) {
                    runner.runSafely(task);
                }
                if (t.isPending()) {
                    t.seq = nextSeq++;
                    insert(t, deadline + t.period);
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

        /**
         * The hand-over index below which timers handed over may be taken in: a timer scheduled
         * from another thread must not run before the tasks that thread queued on the loop before
         * it. {@code Long.MAX_VALUE} (the default, for a runner with no task queue): no limit.
         */
        default long handOverLimit() {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Loop thread. Sweeps cancelled timers out in one O(n) pass when they are at least half the
     * heap: far cheaper than popping them off the top one sift at a time (a million cancelled
     * timers: milliseconds instead of more than a second).
     *
     * @return true if it swept
     */
    boolean purgeIfWorthIt() {
        flushDeferred();
        int n = size;
        int cancelled = cancelledCount;
        if (n < MIN_PURGE_SIZE || cancelled < (n >> 1)) {
            return false;
        }
        ScheduledTimer[] h = heap;
        long[] k = keys;
        int live = 0;
        for (int i = 0; i < n; i++) {
            ScheduledTimer t = h[i];
            if (!t.isCancelled()) {
                k[live] = k[i];
                h[live++] = t;
            }
        }
        Arrays.fill(h, live, n, null);
        CANCELLED_COUNT.getAndAdd(this, -(n - live));
        for (int i = (live - 2) >> LOG_ARITY; i >= 0; i--) { // Floyd: sift down every parent, last first
            siftDown(i, h[i], k[i], live);
        }
        SIZE.setOpaque(this, live);
        if (h.length > 4 * MIN_PURGE_SIZE && live < h.length >> 2) {
            int capacity = Math.max(MIN_PURGE_SIZE, live * 2);
            heap = Arrays.copyOf(h, capacity);
            keys = Arrays.copyOf(k, capacity);
        }
        return true;
    }

    /** Loop thread, at shutdown: cancels every timer, empties the heap, and cancels any timer added later. */
    void cancelAll() {
        closed = true;
        flushDeferred(); // cancelled below with the rest
        takeHandOvers(clock.nanoTime(), Long.MAX_VALUE); // cancelled on arrival
        ScheduledTimer[] h = heap;
        for (int i = 0, n = size; i < n; i++) {
            h[i].cancelSilently();
            h[i] = null;
        }
        SIZE.setOpaque(this, 0);
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

    /** Loop thread, for tests: entries in the heap, cancelled ones not yet dropped included. */
    int heapSizeForTest() {
        return size;
    }

    /** For tests: timers handed over and not yet taken in; a snapshot. */
    int handOversWaitingForTest() {
        return handOvers.size();
    }

    private void removeTop() {
        int n = size - 1;
        ScheduledTimer last = heap[n];
        heap[n] = null;
        SIZE.setOpaque(this, n);
        if (n > 0) {
            siftDown(0, last, keys[n], n);
        }
    }

    private void grow() {
        int capacity = heap.length + (heap.length >> 1);
        heap = Arrays.copyOf(heap, capacity);
        keys = Arrays.copyOf(keys, capacity);
    }

    /**
     * Heap order: earlier deadline first, then earlier sequence number. Deadlines are compared as
     * nanoTime readings are, by their difference; the timers are read only on a tie.
     */
    private static boolean before(long key, ScheduledTimer timer, long otherKey, ScheduledTimer other) {
        long d = key - otherKey;
        return d < 0 || (d == 0 && timer.seq < other.seq);
    }

    /**
     * Moves {@code timer}, with deadline {@code key}, from {@code start} up to its place. It must
     * already be in {@code heap[start]}: an entry that stays puts costs no second store.
     */
    private void siftUp(int start, ScheduledTimer timer, long key) {
        ScheduledTimer[] h = heap;
        long[] k = keys;
        int index = start;
        while (index > 0) {
            int parent = (index - 1) >>> LOG_ARITY;
            long parentKey = k[parent];
            ScheduledTimer p = h[parent];
            if (!before(key, timer, parentKey, p)) {
                break;
            }
            h[index] = p;
            k[index] = parentKey;
            index = parent;
        }
        if (index != start) {
            h[index] = timer;
        }
        k[index] = key;
    }

    /** Puts {@code timer}, with deadline {@code key}, at {@code index} or below, among the first {@code n} entries. */
    private void siftDown(int index, ScheduledTimer timer, long key, int n) {
        ScheduledTimer[] h = heap;
        long[] k = keys;
        int child;
        while ((child = (index << LOG_ARITY) + 1) < n) {
            int min = child;
            long minKey = k[child];
            for (int c = child + 1, last = Math.min(child + ARITY, n); c < last; c++) {
                long d = k[c] - minKey;
                if (d < 0 || (d == 0 && h[c].seq < h[min].seq)) {
                    min = c;
                    minKey = k[c];
                }
            }
            ScheduledTimer m = h[min];
            if (!before(minKey, m, key, timer)) {
                break;
            }
            h[index] = m;
            k[index] = minKey;
            index = min;
        }
        h[index] = timer;
        k[index] = key;
    }
}

package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.TimerHandle;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A Reactor {@link Scheduler} whose workers are loops.
 *
 * <p><b>Loop affinity</b>, for the drop-in factory's schedulers only (Reactor's {@code single()} and
 * {@code parallel()} once {@link LoopSchedulers#factory()} is installed): a worker or task asked
 * for on the thread of a loop that is not one of this scheduler's stays on that loop, so the
 * operators of a connection's pipeline that take a scheduler by default ({@code delayElements},
 * {@code timeout}, {@code interval}) keep running on the connection's loop. A scheduler made by
 * name ({@code newSingle}, {@code newGroup}, {@code from}) has no affinity: work goes to its own
 * loops, wherever it is asked for, as {@code publishOn(scheduler)} means. Otherwise workers go
 * round-robin over this scheduler's loops.
 *
 * <p><b>Time.</b> {@link #now(TimeUnit)} is wall-clock-based (as Reactor's operators expect of
 * {@code timestamp()}) but moves with the loops' clock: with a {@code ManualClock} it moves only
 * when the test moves it.
 *
 * <p>Threading: every method is safe from any thread.
 */
final class LoopScheduler implements Scheduler, Scannable {
    private static final int NEW = 0;
    private static final int STARTED = 1;
    private static final int DISPOSED = 2;

    private final String name;
    /** Makes the loops on {@link #init()}; null when wrapping loops we do not own. */
    private final Supplier<LoopGroup> factory;
    private final boolean owned;
    /** Keep work asked for on a foreign loop on that loop; see the class comment. */
    private final boolean affinity;
    private final Set<LoopWorker> workers = ConcurrentHashMap.newKeySet();
    private volatile LoopGroup group;
    private volatile Loop single;
    private volatile int state;
    private volatile long epochMillisAtStart;
    private volatile long nanosAtStart;

    private LoopScheduler(String name, Supplier<LoopGroup> factory, LoopGroup group, Loop single, boolean affinity) {
        this.name = name;
        this.affinity = affinity;
        this.factory = factory;
        this.owned = factory != null;
        this.group = group;
        this.single = single;
        if (!owned) {
            markStarted();
        }
    }

    /** A scheduler that makes and owns its loops, when first used or initialized. */
    static LoopScheduler owning(String name, Supplier<LoopGroup> factory) {
        return new LoopScheduler(name, factory, null, null, false);
    }

    /** The drop-in factory's kind: owns its loops, and keeps work asked for on a foreign loop there. */
    static LoopScheduler owningWithAffinity(String name, Supplier<LoopGroup> factory) {
        return new LoopScheduler(name, factory, null, null, true);
    }

    /** A scheduler over a group it does not own: disposing it leaves the loops running. */
    static LoopScheduler wrapping(String name, LoopGroup group) {
        return new LoopScheduler(name, null, group, null, false);
    }

    /** A scheduler over one loop it does not own (a {@code TestLoop}, say). */
    static LoopScheduler wrapping(String name, Loop loop) {
        return new LoopScheduler(name, null, null, loop, false);
    }

    private void markStarted() {
        Loop first = firstLoop();
        nanosAtStart = first.nanoTime();
        epochMillisAtStart = System.currentTimeMillis();
        state = STARTED;
    }

    @Override
    public void init() {
        if (state == DISPOSED) {
            throw new IllegalStateException("Initializing a disposed scheduler is not permitted: " + name);
        }
        start();
    }

    @Override
    @SuppressWarnings("deprecation")
    public void start() {
        if (state != NEW) {
            return;
        }
        synchronized (this) {
            if (state == NEW) {
                group = factory.get();
                markStarted();
            }
        }
    }

    /** The loop for a new worker or task: with affinity, the caller's own loop if it is a foreign one; else the next of ours. */
    Loop pick() {
        if (state != STARTED) {
            if (state == DISPOSED) {
                throw Exceptions.failWithRejected();
            }
            start();
        }
        if (affinity) {
            Loop current = Loop.current();
            if (current != null && !isOwnLoop(current)) {
                return current;
            }
        }
        Loop one = single;
        return one != null ? one : group.next();
    }

    private boolean isOwnLoop(Loop loop) {
        Loop one = single;
        if (one != null) {
            return one == loop;
        }
        List<Loop> loops = group.loops();
        for (int i = 0, n = loops.size(); i < n; i++) {
            if (loops.get(i) == loop) {
                return true;
            }
        }
        return false;
    }

    private Loop firstLoop() {
        Loop one = single;
        return one != null ? one : group.loops().get(0);
    }

    @Override
    public Disposable schedule(Runnable task) {
        Loop loop = pick();
        DirectTask t = new DirectTask(Schedulers.onSchedule(task));
        execute(loop, t);
        return t;
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        if (delay <= 0) {
            return schedule(task);
        }
        Loop loop = pick();
        DirectTask t = new DirectTask(Schedulers.onSchedule(task));
        t.setTimer(delayed(loop, t, delay, unit));
        return t;
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        Loop loop = pick();
        Runnable decorated = Schedulers.onSchedule(task);
        if (period <= 0) {
            DirectTask.Instant t = new DirectTask.Instant(decorated, loop);
            if (initialDelay <= 0) {
                execute(loop, t);
            } else {
                t.setTimer(delayed(loop, t, initialDelay, unit));
            }
            return t;
        }
        DirectTask t = new DirectTask(decorated);
        t.setTimer(periodic(loop, t, initialDelay, period, unit));
        return t;
    }

    static void execute(Loop loop, Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            throw Exceptions.failWithRejected(e);
        }
    }

    /** {@link Loop#schedule}, rejected as Reactor rejects. */
    static TimerHandle delayed(Loop loop, Runnable task, long delay, TimeUnit unit) {
        try {
            return loop.schedule(task, delay, unit);
        } catch (RejectedExecutionException e) {
            throw Exceptions.failWithRejected(e);
        }
    }

    /** {@link Loop#scheduleAtFixedRate}, rejected as Reactor rejects. */
    static TimerHandle periodic(Loop loop, Runnable task, long initialDelay, long period, TimeUnit unit) {
        try {
            return loop.scheduleAtFixedRate(task, initialDelay, period, unit);
        } catch (RejectedExecutionException e) {
            throw Exceptions.failWithRejected(e);
        }
    }

    @Override
    public long now(TimeUnit unit) {
        if (state == NEW) {
            return unit.convert(System.currentTimeMillis(), TimeUnit.MILLISECONDS);
        }
        long elapsedNanos = firstLoop().nanoTime() - nanosAtStart;
        return unit.convert(epochMillisAtStart, TimeUnit.MILLISECONDS) + unit.convert(elapsedNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public Worker createWorker() {
        LoopWorker worker = new LoopWorker(this, pick());
        workers.add(worker);
        if (state == DISPOSED) { // raced with dispose(): it may have missed this worker
            worker.dispose();
        }
        return worker;
    }

    void workerDisposed(LoopWorker worker) {
        workers.remove(worker);
    }

    @Override
    public void dispose() {
        if (!markDisposed()) {
            return;
        }
        LoopGroup g = group;
        if (owned && g != null) {
            g.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    @Override
    public Mono<Void> disposeGracefully() {
        return Mono.defer(() -> {
            markDisposed();
            LoopGroup g = group;
            if (owned && g != null) {
                return Mono.fromFuture(g.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(15)), true);
            }
            return Mono.empty();
        });
    }

    private boolean markDisposed() {
        synchronized (this) {
            if (state == DISPOSED) {
                return false;
            }
            state = DISPOSED;
        }
        for (LoopWorker worker : workers) {
            worker.dispose();
        }
        return true;
    }

    @Override
    public boolean isDisposed() {
        return state == DISPOSED;
    }

    @Override
    public Object scanUnsafe(Attr key) {
        if (key == Attr.NAME) {
            return name;
        }
        if (key == Attr.CAPACITY) {
            return Integer.MAX_VALUE; // loop task queues are unbounded
        }
        if (key == Attr.BUFFERED) {
            return buffered();
        }
        if (key == Attr.TERMINATED) {
            LoopGroup g = group;
            return isDisposed() && (!owned || g == null || g.isTerminated());
        }
        if (key == Attr.CANCELLED) {
            return isDisposed();
        }
        return null;
    }

    private int buffered() {
        if (state == NEW) {
            return 0;
        }
        Loop one = single;
        if (one != null) {
            return one.metrics().pendingTasks();
        }
        int sum = 0;
        for (Loop loop : group) {
            sum += loop.metrics().pendingTasks();
        }
        return sum;
    }

    @Override
    public String toString() {
        return "LoopScheduler(" + name + ")";
    }
}

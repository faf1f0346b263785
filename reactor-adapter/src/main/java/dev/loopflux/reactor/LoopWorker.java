package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A worker pinned to one loop: its tasks run on that loop's thread, in submission order (FIFO),
 * never concurrently. Disposing it drops every task it has not run yet: immediate ones become
 * no-ops, timers are cancelled at once.
 *
 * <p>Threading: every method is safe from any thread.
 */
final class LoopWorker implements Scheduler.Worker, Scannable {
    private final LoopScheduler parent;
    private final Loop loop;
    /** Delayed and periodic tasks not yet done, so that dispose() can cancel their timers. */
    private final Set<WorkerTask> timed = ConcurrentHashMap.newKeySet();
    private volatile boolean disposed;

    LoopWorker(LoopScheduler parent, Loop loop) {
        this.parent = parent;
        this.loop = loop;
    }

    Loop loop() {
        return loop;
    }

    @Override
    public Disposable schedule(Runnable task) {
        if (disposed) {
            throw Exceptions.failWithRejected();
        }
        WorkerTask t = new WorkerTask(this, Schedulers.onSchedule(task), WorkerTask.IMMEDIATE);
        LoopScheduler.execute(loop, t);
        return t;
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        if (delay <= 0) {
            return schedule(task); // a zero-delay timer would run before earlier tasks: keep FIFO
        }
        if (disposed) {
            throw Exceptions.failWithRejected();
        }
        WorkerTask t = new WorkerTask(this, Schedulers.onSchedule(task), WorkerTask.DELAYED);
        timed.add(t);
        t.setTimer(LoopScheduler.delayed(loop, t, delay, unit));
        if (disposed) {
            t.dispose();
        }
        return t;
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        if (disposed) {
            throw Exceptions.failWithRejected();
        }
        if (period <= 0) {
            WorkerTask t = new WorkerTask(this, Schedulers.onSchedule(task), WorkerTask.PERIODIC) {
                @Override
                public void run() {
                    super.run();
                    runAgainOn(loop);
                }
            };
            timed.add(t);
            if (initialDelay <= 0) {
                LoopScheduler.execute(loop, t);
            } else {
                t.setTimer(LoopScheduler.delayed(loop, t, initialDelay, unit));
            }
            return t;
        }
        WorkerTask t = new WorkerTask(this, Schedulers.onSchedule(task), WorkerTask.PERIODIC);
        timed.add(t);
        t.setTimer(LoopScheduler.periodic(loop, t, initialDelay, period, unit));
        if (disposed) {
            t.dispose();
        }
        return t;
    }

    @Override
    public void dispose() {
        if (disposed) {
            return;
        }
        disposed = true;
        for (WorkerTask t : timed) {
            t.dispose();
        }
        parent.workerDisposed(this);
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    @Override
    public Object scanUnsafe(Attr key) {
        if (key == Attr.PARENT) {
            return parent;
        }
        if (key == Attr.NAME) {
            return parent + ".worker(" + loop.name() + ")";
        }
        if (key == Attr.TERMINATED || key == Attr.CANCELLED) {
            return disposed;
        }
        if (key == Attr.CAPACITY) {
            return Integer.MAX_VALUE;
        }
        if (key == Attr.BUFFERED) {
            return timed.size();
        }
        return null;
    }

    /** A worker's task: skipped once the worker or the task is disposed. */
    private static class WorkerTask extends DirectTask {
        static final int IMMEDIATE = 0;
        static final int DELAYED = 1;
        static final int PERIODIC = 2;

        private final LoopWorker worker;
        /** IMMEDIATE tasks are not tracked (the worker's flag skips them); the others are, until done. */
        private final int kind;

        WorkerTask(LoopWorker worker, Runnable task, int kind) {
            super(task);
            this.worker = worker;
            this.kind = kind;
        }

        @Override
        public void run() {
            if (worker.disposed) {
                return;
            }
            super.run();
            if (kind == DELAYED) {
                worker.timed.remove(this); // ran once: nothing left to cancel
            }
        }

        @Override
        void disposed() {
            if (kind != IMMEDIATE) {
                worker.timed.remove(this);
            }
        }

        /** Disposed with its worker too: the worker's flag, not a per-task one, skips IMMEDIATE tasks. */
        @Override
        public boolean isDisposed() {
            return worker.disposed || super.isDisposed();
        }
    }
}

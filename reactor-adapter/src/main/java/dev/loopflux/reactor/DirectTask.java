package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.TimerHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import reactor.core.Disposable;

/**
 * A task handed to a loop by a {@link LoopScheduler} or a {@link LoopWorker}: it runs the user's
 * {@link Runnable} unless disposed first, and is its own {@link Disposable} (with the timer it
 * sits in, when delayed). One object per task, no wrapper.
 *
 * <p>Threading: {@link #run()} on the loop thread; {@link #dispose()} from any thread. What the
 * task throws reaches the loop's {@link dev.loopflux.core.LoopOptions#errorHandler() error handler}.
 */
class DirectTask implements Runnable, Disposable {
    private static final VarHandle DISPOSED;

    static {
        try {
            DISPOSED = MethodHandles.lookup().findVarHandle(DirectTask.class, "disposed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Runnable task;
    /** The timer of a delayed or periodic task, so that disposing cancels it at once; see {@link #setTimer}. */
    private volatile TimerHandle timer;
    private volatile boolean disposed;

    DirectTask(Runnable task) {
        this.task = task;
    }

    @Override
    public void run() {
        if (disposed) {
            return;
        }
        try {
            task.run();
        } catch (Throwable error) {
            // As with Reactor's own schedulers, a task that throws does not run again; the error
            // goes on to the loop's error handler, which reports it and keeps the loop going.
            dispose();
            throw error;
        }
    }

    /**
     * Sets the timer this task runs from, once, right after scheduling it. If the task was
     * disposed meanwhile (a first run that threw, on the loop, before the scheduling thread got
     * here), the timer is cancelled now. Against a concurrent {@link #dispose()}: this writes the
     * timer, then reads the flag; dispose() sets the flag, then reads the timer (both volatile):
     * at least one of the two sees the other's write and cancels.
     */
    final void setTimer(TimerHandle handle) {
        timer = handle;
        if (disposed) {
            handle.cancel();
        }
    }

    @Override
    public void dispose() {
        if (DISPOSED.compareAndSet(this, false, true)) {
            TimerHandle t = timer;
            if (t != null) {
                t.cancel();
            }
            disposed();
        }
    }

    /** Called once when this task is disposed; for the owner's bookkeeping. */
    void disposed() {
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    /**
     * A periodic task with a period of zero or less: Reactor's contract is to run it again as soon
     * as it returns; here, again as the next task of the loop, so IO still gets its turn.
     */
    static final class Instant extends DirectTask {
        private final Loop loop;

        Instant(Runnable task, Loop loop) {
            super(task);
            this.loop = loop;
        }

        @Override
        public void run() {
            super.run();
            runAgainOn(loop);
        }
    }

    /**
     * For a zero-period task, after a run: queue it again on {@code loop}, unless it was disposed
     * or the loop is shutting down (a task that requeues itself would keep a shutdown from ever
     * ending; it stops there, as timers do) or gone.
     */
    final void runAgainOn(Loop loop) {
        if (isDisposed()) {
            return;
        }
        if (loop.isShuttingDown()) {
            dispose();
            return;
        }
        try {
            loop.execute(this);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            dispose(); // the loop is gone
        }
    }
}

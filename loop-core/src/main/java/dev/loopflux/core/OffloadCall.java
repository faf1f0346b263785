package dev.loopflux.core;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One subscription to {@link BlockingPool#call}: the work as a {@link FutureTask} (which gives
 * cancel-before-run and interrupt-while-running, and clears a late interrupt from the pool
 * thread), and the subscription that hands its outcome to the loop.
 *
 * <p>Threading: {@link #started}, {@link #finished} and {@link #downstream} are touched on the
 * loop thread only. The task runs on a pool thread; {@link #done()} runs there (or on the thread
 * that cancelled) and only hops onto the loop.
 */
final class OffloadCall<T> extends FutureTask<T> implements Subscription {
    private final BlockingPool pool;
    private final Loop loop;
    private Subscriber<? super T> downstream;
    /** The work was handed to the pool (on the first positive request). */
    private boolean started;
    /** A terminal signal went out or the subscriber cancelled: no more signals. */
    private boolean finished;

    private OffloadCall(BlockingPool pool, Loop loop, Callable<? extends T> work, Subscriber<? super T> downstream) {
        super(work::call);
        this.pool = pool;
        this.loop = loop;
        this.downstream = downstream;
    }

    static <T> void subscribe(BlockingPool pool, Loop loop, Callable<? extends T> work, Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber"); // §1.9
        OffloadCall<T> call = new OffloadCall<>(pool, loop, work, subscriber);
        if (loop.inLoop()) {
            call.begin();
            return;
        }
        try {
            loop.execute(call::begin);
        } catch (RejectedExecutionException e) {
            // No loop thread left to signal on: tell the subscriber on the caller's thread.
            subscriber.onSubscribe(call);
            call.finished = true;
            subscriber.onError(new RejectedExecutionException("loop " + loop.name() + " is shut down", e));
        }
    }

    /** Loop thread: onSubscribe; a pool already shut down fails at once. */
    private void begin() {
        downstream.onSubscribe(this);
        if (!finished && pool.isShutdown()) {
            fail(new RejectedExecutionException("blocking pool is shut down"));
        }
    }

    @Override
    public void request(long n) {
        onLoop(() -> {
            if (finished) {
                return;
            }
            if (n <= 0) {
                cancel(true);
                fail(new IllegalArgumentException("§3.9 violated: request(" + n + ") must be positive"));
            } else if (!started) {
                started = true;
                try {
                    pool.execute(this);
                } catch (RejectedExecutionException e) {
                    fail(e);
                }
            }
        });
    }

    /** Any thread: takes the work off the queue, or interrupts it if it runs; no signal follows. */
    @Override
    public void cancel() {
        cancel(true);
        pool.remove(this);
        onLoop(() -> {
            finished = true;
            downstream = null;
        });
    }

    /** Pool thread (or the cancelling thread): the work ended; its outcome goes to the loop. */
    @Override
    protected void done() {
        if (isCancelled()) {
            return;
        }
        try {
            loop.execute(this::deliver);
        } catch (RejectedExecutionException e) {
            // The loop shut down: there is no thread to signal on, the result is dropped.
        }
    }

    private void deliver() {
        if (finished) {
            return;
        }
        T value;
        try {
            value = get();
        } catch (ExecutionException e) {
            fail(e.getCause());
            return;
        } catch (CancellationException | InterruptedException e) {
            return; // cancelled meanwhile; get() on a done task does not wait
        }
        Subscriber<? super T> s = terminate();
        if (value != null) {
            s.onNext(value);
        }
        s.onComplete();
    }

    private void fail(Throwable error) {
        terminate().onError(error);
    }

    private Subscriber<? super T> terminate() {
        Subscriber<? super T> s = downstream;
        finished = true;
        downstream = null; // §3.13
        return s;
    }

    private void onLoop(Runnable action) {
        if (loop.inLoop()) {
            action.run();
            return;
        }
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            // The loop shut down: nothing more can be signalled.
        }
    }
}

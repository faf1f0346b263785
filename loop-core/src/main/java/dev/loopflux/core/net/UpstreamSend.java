package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One send: the subscriber to the user's items and the subscription of the user's completion
 * subscriber, for {@link SendOperation} (buffers on a stream connection) and {@link UdpSend}
 * (datagrams). The items' signals may come from any thread; they are handled on the loop
 * (directly when they already come from it, the common case of sending what was received).
 * What is done with them is the subclass's, which hands them to its outbound.
 *
 * <p>Threading: fields on the loop thread only.
 *
 * @param <T> what is sent
 */
abstract class UpstreamSend<T> implements Subscriber<T>, Subscription {
    private final Loop loop;
    private final Subscriber<? super Void> downstream;
    private Subscription upstream;
    /** Items requested from upstream and not yet received. */
    private long outstanding;
    /** A terminal signal went to downstream, or it cancelled. */
    private boolean done;
    /**
     * The items' publisher signalled onComplete or onError: its subscription is over and is never
     * cancelled (§2.3: not from within that signal; §2.4: it counts as cancelled already).
     */
    private boolean upstreamTerminated;

    UpstreamSend(Loop loop, Subscriber<? super Void> downstream) {
        this.loop = loop;
        this.downstream = downstream;
    }

    // ---- to the outbound (loop thread) ---------------------------------------------------------

    /** The upstream subscription arrived: ask for the first items, if there is room. */
    abstract void subscribed();

    abstract void upstreamNext(T item);

    abstract void upstreamComplete();

    abstract void upstreamError(Throwable error);

    /** Downstream cancelled, or broke §3.9: the outbound forgets this send. */
    abstract void cancelled();

    // ---- for the outbound (loop thread) --------------------------------------------------------

    final boolean isDone() {
        return done;
    }

    /** Subscribes to {@code items}, unless this send ended meanwhile. */
    final void subscribeTo(Publisher<? extends T> items) {
        if (done) {
            return; // cancelled or failed before its turn, or while a file was being opened
        }
        try {
            items.subscribe(this);
        } catch (Throwable e) {
            upstreamError(e);
        }
    }

    final long outstanding() {
        return outstanding;
    }

    /** Requests {@code n} more; {@link #outstanding} is raised first, so a re-entrant onNext sees it. */
    final void pull(long n) {
        if (upstream != null && !done && n > 0) {
            outstanding += n;
            upstream.request(n);
        }
    }

    final void received() {
        if (outstanding > 0) {
            outstanding--;
        }
    }

    /** Every item of this send was handed to the kernel. */
    final void complete() {
        if (!done) {
            done = true;
            downstream.onComplete();
        }
    }

    /** This send failed: stop reading its items and tell its subscriber. */
    final void fail(Throwable error) {
        if (!done) {
            done = true;
            cancelUpstream();
            downstream.onError(error);
        }
    }

    private void cancelUpstream() {
        Subscription s = upstream;
        if (s != null && !upstreamTerminated) {
            s.cancel();
        }
    }

    // ---- Subscriber of the user's items (any thread) -------------------------------------------

    @Override
    public final void onSubscribe(Subscription s) {
        Objects.requireNonNull(s, "subscription");
        if (loop.inLoop()) {
            subscribedNow(s); // no task, no lambda: the common case
        } else {
            onLoop(() -> subscribedNow(s), s::cancel);
        }
    }

    private void subscribedNow(Subscription s) {
        if (upstream != null) {
            s.cancel(); // §2.5: one subscription only
            return;
        }
        upstream = s;
        if (done) {
            s.cancel();
        } else {
            subscribed();
        }
    }

    @Override
    public final void onNext(T item) {
        Objects.requireNonNull(item, "item");
        if (loop.inLoop()) {
            upstreamNext(item); // no task, no lambda: the common case
        } else {
            onLoop(() -> upstreamNext(item), null);
        }
    }

    @Override
    public final void onError(Throwable error) {
        Objects.requireNonNull(error, "error");
        onLoop(() -> {
            upstreamTerminated = true;
            upstreamError(error);
        }, null);
    }

    @Override
    public final void onComplete() {
        onLoop(() -> {
            upstreamTerminated = true;
            upstreamComplete();
        }, null);
    }

    // ---- Subscription of the completion subscriber (any thread) ---------------------------------

    /** The completion publisher emits no element; demand is only checked for §3.9. */
    @Override
    public final void request(long n) {
        if (n <= 0) {
            onLoop(() -> {
                if (!done) {
                    fail(new IllegalArgumentException("§3.9 violated: request(" + n + ") must be positive"));
                    cancelled();
                }
            }, null);
        }
    }

    @Override
    public final void cancel() {
        onLoop(() -> {
            if (!done) {
                done = true;
                cancelUpstream();
                cancelled();
            }
        }, null);
    }

    private void onLoop(Runnable action, Runnable ifLoopGone) {
        if (loop.inLoop()) {
            action.run();
            return;
        }
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            if (ifLoopGone != null) {
                ifLoopGone.run();
            }
        }
    }
}

package dev.loopflux.core.net;

import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One {@link UdpEndpoint#send}: the subscriber to the user's datagrams, and the subscription of
 * the user's completion subscriber. The datagrams' signals may come from any thread; they are
 * handled on the loop (directly when they already come from it, as when echoing what was
 * received). {@link SendOperation} is the same for stream connections.
 *
 * <p>Threading: fields on the loop thread only.
 */
final class UdpSend implements Subscriber<Datagram>, Subscription {
    private final UdpOutbound outbound;
    private final Publisher<Datagram> data;
    private final Subscriber<? super Void> downstream;
    private Subscription upstream;
    /** Datagrams requested from upstream and not yet received. */
    private long outstanding;
    /** A terminal signal went to downstream, or it cancelled. */
    private boolean done;
    /**
     * The datagrams' publisher signalled onComplete or onError: its subscription is over and is
     * never cancelled (§2.3: not from within that signal; §2.4: it counts as cancelled already).
     */
    private boolean upstreamTerminated;

    UdpSend(UdpOutbound outbound, Publisher<Datagram> data, Subscriber<? super Void> downstream) {
        this.outbound = outbound;
        this.data = data;
        this.downstream = downstream;
    }

    boolean isDone() {
        return done;
    }

    /** Loop thread: this send's turn has come. */
    void start() {
        try {
            data.subscribe(this);
        } catch (Throwable e) {
            outbound.onUpstreamError(this, e);
        }
    }

    long outstanding() {
        return outstanding;
    }

    /** Requests {@code n} more; {@link #outstanding} is raised first, so a re-entrant onNext sees it. */
    void pull(int n) {
        if (upstream != null && !done && n > 0) {
            outstanding += n;
            upstream.request(n);
        }
    }

    void received() {
        if (outstanding > 0) {
            outstanding--;
        }
    }

    /** Loop thread: every datagram of this send was handed to the kernel. */
    void complete() {
        if (!done) {
            done = true;
            downstream.onComplete();
        }
    }

    /** Loop thread: this send failed; stop reading its datagrams and tell its subscriber. */
    void fail(Throwable error) {
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

    // ---- Subscriber of the user's datagrams (any thread) ---------------------------------------

    @Override
    public void onSubscribe(Subscription s) {
        Objects.requireNonNull(s, "subscription");
        onLoop(() -> {
            if (upstream != null) {
                s.cancel(); // §2.5: one subscription only
                return;
            }
            upstream = s;
            if (done) {
                s.cancel();
            } else {
                outbound.requestMore(this);
            }
        }, s::cancel);
    }

    @Override
    public void onNext(Datagram datagram) {
        Objects.requireNonNull(datagram, "datagram");
        if (outbound.socket.loop.inLoop()) {
            outbound.onUpstreamNext(this, datagram);
        } else {
            onLoop(() -> outbound.onUpstreamNext(this, datagram), null);
        }
    }

    @Override
    public void onError(Throwable error) {
        Objects.requireNonNull(error, "error");
        onLoop(() -> {
            upstreamTerminated = true;
            outbound.onUpstreamError(this, error);
        }, null);
    }

    @Override
    public void onComplete() {
        onLoop(() -> {
            upstreamTerminated = true;
            outbound.onUpstreamComplete(this);
        }, null);
    }

    // ---- Subscription of the completion subscriber (any thread) ---------------------------------

    /** The completion publisher emits no element; demand is only checked for §3.9. */
    @Override
    public void request(long n) {
        if (n <= 0) {
            onLoop(() -> {
                if (!done) {
                    fail(new IllegalArgumentException("§3.9 violated: request(" + n + ") must be positive"));
                    outbound.cancelled(this);
                }
            }, null);
        }
    }

    @Override
    public void cancel() {
        onLoop(() -> {
            if (!done) {
                done = true;
                cancelUpstream();
                outbound.cancelled(this);
            }
        }, null);
    }

    private void onLoop(Runnable action, Runnable ifLoopGone) {
        if (outbound.socket.loop.inLoop()) {
            action.run();
            return;
        }
        try {
            outbound.socket.loop.execute(action);
        } catch (RejectedExecutionException e) {
            if (ifLoopGone != null) {
                ifLoopGone.run();
            }
        }
    }
}

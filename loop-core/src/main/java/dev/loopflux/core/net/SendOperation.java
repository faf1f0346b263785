package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One {@link Connection#send} or {@link Connection#sendFile}: the subscriber to the user's data
 * (or to the file's, when it is not sent with sendfile), and the subscription of the user's
 * completion subscriber. The data's signals may come from any thread; they are handled
 * on the loop (directly when they already come from it, which is the common case of sending
 * what was read).
 *
 * <p>Threading: fields on the loop thread only.
 */
final class SendOperation implements Subscriber<ByteBuffer>, Subscription {
    private final Outbound outbound;
    /** The buffers to send, or null for a file send. */
    private final Publisher<ByteBuffer> data;
    /** The file to send, or null for a send of buffers. */
    private final FileSend file;
    private final Subscriber<? super Void> downstream;
    private Subscription upstream;
    /** Buffers requested from upstream and not yet received (0 or 1). */
    private int outstanding;
    /** A terminal signal went to downstream, or it cancelled. */
    private boolean done;
    /**
     * The data signalled onComplete or onError: its subscription is over and is never cancelled
     * (§2.3: not from within that signal; §2.4: it counts as cancelled already).
     */
    private boolean upstreamTerminated;

    SendOperation(Outbound outbound, Publisher<ByteBuffer> data, Subscriber<? super Void> downstream) {
        this(outbound, data, null, downstream);
    }

    SendOperation(Outbound outbound, FileSend file, Subscriber<? super Void> downstream) {
        this(outbound, null, file, downstream);
    }

    private SendOperation(Outbound outbound, Publisher<ByteBuffer> data, FileSend file, Subscriber<? super Void> downstream) {
        this.outbound = outbound;
        this.data = data;
        this.file = file;
        this.downstream = downstream;
    }

    boolean isDone() {
        return done;
    }

    /** Loop thread: this send's turn has come. */
    void start() {
        if (file != null) {
            file.open(this, outbound); // comes back as Outbound.onFileOpened, startData or onUpstreamError
        } else {
            startData(data);
        }
    }

    /** Loop thread: reads {@code buffers} as this send's data (for a file send: its fallback). */
    void startData(Publisher<ByteBuffer> buffers) {
        if (done) {
            return; // cancelled or failed while the file was being opened
        }
        try {
            buffers.subscribe(this);
        } catch (Throwable e) {
            outbound.onUpstreamError(this, e);
        }
    }

    void requestOne() {
        if (outstanding == 0 && upstream != null && !done) {
            outstanding = 1;
            upstream.request(1);
        }
    }

    void received() {
        outstanding = 0;
    }

    /** Loop thread: every byte of this send was taken by the kernel. */
    void complete() {
        if (!done) {
            done = true;
            downstream.onComplete();
        }
    }

    /** Loop thread: this send failed; stop reading its data and tell its subscriber. */
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

    // ---- Subscriber of the user's data (any thread) ------------------------------------------

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
    public void onNext(ByteBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        if (outbound.connection.loop.inLoop()) {
            outbound.onUpstreamNext(this, buffer);
        } else {
            onLoop(() -> outbound.onUpstreamNext(this, buffer), null);
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
        if (outbound.connection.loop.inLoop()) {
            action.run();
            return;
        }
        try {
            outbound.connection.loop.execute(action);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (ifLoopGone != null) {
                ifLoopGone.run();
            }
        }
    }
}

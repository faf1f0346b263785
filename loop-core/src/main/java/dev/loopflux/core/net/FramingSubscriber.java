package dev.loopflux.core.net;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One subscription of a {@link FramedPublisher}: the subscriber of the chunks, the subscription the
 * frame subscriber holds, and the decoder in between.
 *
 * <p><b>Drain loop.</b> Every event (a request, a cancel, a chunk, the end of the chunks) records
 * itself in a field and calls {@link #drain()}. The {@link #wip} counter lets one thread at a time
 * run the loop; an event arriving while it runs only bumps the counter, and the running thread goes
 * round once more for it. That serializes the signals to the subscriber (rule 1.3) and the calls to
 * the upstream subscription (rule 2.7), and turns a request made from inside {@code onNext} into one
 * more turn of the loop instead of a recursion (rule 3.3). Fields marked "loop only" need no other
 * synchronization: the counter's atomic updates order one pass of the loop before the next.
 *
 * <p><b>Demand.</b> A frame is decoded only when one has been requested, and a chunk is requested
 * upstream, one at a time, only when a frame has been requested and the current chunk is used up.
 * So at most one chunk and one partial frame (bounded by the decoder) are held.
 *
 * <p><b>End.</b> Once a terminal signal has been sent (or the subscriber cancelled), the loop leaves
 * the counter above zero: no later event can enter it, so no signal can follow.
 */
final class FramingSubscriber implements Subscriber<ByteBuffer>, Subscription {

    private static final VarHandle WIP;
    private static final VarHandle REQUESTED;
    private static final VarHandle UPSTREAM;
    private static final VarHandle INBOUND;
    private static final VarHandle PROTOCOL_ERROR;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WIP = lookup.findVarHandle(FramingSubscriber.class, "wip", int.class);
            REQUESTED = lookup.findVarHandle(FramingSubscriber.class, "requested", long.class);
            UPSTREAM = lookup.findVarHandle(FramingSubscriber.class, "upstream", Subscription.class);
            INBOUND = lookup.findVarHandle(FramingSubscriber.class, "inbound", ByteBuffer.class);
            PROTOCOL_ERROR = lookup.findVarHandle(FramingSubscriber.class, "protocolError", Throwable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- written from any thread

    /** Drain-loop entries not yet served; the thread that moves it from 0 runs the loop. */
    private volatile int wip;
    /** Frames requested and not yet sent, capped at Long.MAX_VALUE (= unbounded, rule 3.17). */
    private volatile long requested;
    /** The subscriber cancelled, or a terminal signal was sent: request and cancel are no-ops now. */
    private volatile boolean cancelled;
    /** A rule broken by the subscriber ({@code request(n <= 0)}, rule 3.9) or upstream (rule 1.1): the stream fails with it. */
    private volatile Throwable protocolError;
    /** The chunks' subscription, set once by onSubscribe. */
    private volatile Subscription upstream;
    /** A chunk delivered by onNext, not yet taken by the loop; at most one, as we request one at a time. */
    private volatile ByteBuffer inbound;
    /** The chunks ended (onComplete or onError). */
    private volatile boolean done;
    /** The chunks' error, or null; written before {@link #done}, read after it. */
    private Throwable upstreamError;

    // ---- loop only

    /** Who gets the frames; dropped at the end (rule 3.13). Set before the first event, read by the loop. */
    private Subscriber<? super ByteBuffer> downstream;
    /** Cuts chunks into frames; dropped at the end with its partial frame. */
    private FrameDecoder decoder;
    /** The chunk being decoded, with bytes left; null once used up. */
    private ByteBuffer chunk;
    /** The final frame returned by the decoder at end of stream, held until it is requested. */
    private ByteBuffer last;
    /** request(1) was sent upstream and its chunk has not been taken yet. */
    private boolean awaitingChunk;
    /** decoder.finish() has been called. */
    private boolean finished;
    /** upstream.cancel() has been called. */
    private boolean upstreamCancelled;

    FramingSubscriber(Subscriber<? super ByteBuffer> downstream, FrameDecoder decoder) {
        this.downstream = downstream;
        this.decoder = decoder;
    }

    // ---- Subscriber of chunks: called serially by the upstream, on its thread

    @Override
    public void onSubscribe(Subscription s) {
        Objects.requireNonNull(s, "subscription"); // rule 2.13
        if (!UPSTREAM.compareAndSet(this, null, s)) {
            s.cancel(); // rule 2.5: a second subscription is refused
            return;
        }
        downstream.onSubscribe(this); // no event can have run the loop before this
    }

    @Override
    public void onNext(ByteBuffer chunk) {
        Objects.requireNonNull(chunk, "chunk"); // rule 2.13
        if (cancelled) {
            return; // a chunk already on its way when we cancelled (rule 3.12 allows it): drop it
        }
        if (!INBOUND.compareAndSet(this, null, chunk)) {
            PROTOCOL_ERROR.compareAndSet(this, null,
                    new IllegalStateException("the chunk publisher sent more chunks than requested (rule 1.1)"));
        }
        drain();
    }

    @Override
    public void onError(Throwable t) {
        Objects.requireNonNull(t, "throwable"); // rule 2.13
        upstreamError = t;
        done = true;
        drain();
    }

    @Override
    public void onComplete() {
        done = true;
        drain();
    }

    // ---- Subscription of frames: any thread

    @Override
    public void request(long n) {
        if (cancelled) {
            return; // rule 3.6
        }
        if (n <= 0) {
            PROTOCOL_ERROR.compareAndSet(this, null,
                    new IllegalArgumentException("§3.9 violated: positive request amount required but it was " + n));
        } else {
            addDemand(n);
        }
        drain();
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return; // rule 3.7
        }
        cancelled = true;
        drain(); // the loop cancels upstream, so that upstream calls stay serial (rule 2.7)
    }

    private void addDemand(long n) {
        for (;;) {
            long r = requested;
            if (r == Long.MAX_VALUE) {
                return;
            }
            long u = r + n;
            if (u < 0) {
                u = Long.MAX_VALUE; // overflow: unbounded from now on (rule 3.17)
            }
            if (REQUESTED.compareAndSet(this, r, u)) {
                return;
            }
        }
    }

    // ---- the loop

    private void drain() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return; // the thread in the loop will go round again for this event
        }
        int missed = 1;
        for (;;) {
            boolean ended;
            try {
                ended = drainPass();
            } catch (Throwable t) {
                // The subscriber threw from a signal (rule 2.13 broken). Consider the subscription
                // cancelled, free it, and let the caller see the error. The counter stays up.
                cancelled = true;
                cancelUpstream();
                release();
                throw t;
            }
            if (ended) {
                return; // counter stays above zero: nothing runs the loop again
            }
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
            if (missed == 0) {
                return;
            }
        }
    }

    /** One pass: emits what demand allows, asks for a chunk if needed. True once the subscription ended. */
    private boolean drainPass() {
        Subscriber<? super ByteBuffer> a = downstream;
        long r = requested;
        long e = 0L;
        try {
            for (;;) {
                if (cancelled) {
                    cancelUpstream();
                    release();
                    return true;
                }
                Throwable broken = protocolError;
                if (broken != null) {
                    cancelUpstream();
                    fail(a, broken);
                    return true;
                }
                ByteBuffer frame = e != r ? nextFrame() : null;
                if (frame != null) {
                    a.onNext(frame);
                    e++;
                    continue;
                }
                // Read done before inbound: a chunk sent before the terminal signal is then visible.
                boolean d = done;
                if (d && chunk == null && inbound == null) {
                    // Every chunk is decoded. Frames complete in earlier chunks went out first;
                    // only then do the end (and a partial frame's fate) reach the subscriber.
                    Throwable ex = upstreamError;
                    if (ex != null) {
                        fail(a, ex); // the partial frame, if any, is dropped: the error says why
                        return true;
                    }
                    if (!finished) {
                        finished = true;
                        last = decoder.finish(); // may throw: a truncated frame fails without demand
                    }
                    if (last == null) {
                        complete(a);
                        return true;
                    }
                    if (e != r) {
                        continue; // nextFrame() hands out the last frame
                    }
                    break;
                }
                if (e != r && chunk == null && inbound == null && !awaitingChunk && !d) {
                    // A frame is wanted and every byte we hold is decoded: ask for one more chunk.
                    // If upstream answers synchronously, its onNext only bumps the counter and we
                    // come back round for it.
                    awaitingChunk = true;
                    upstream.request(1);
                }
                break;
            }
        } catch (FramingException ex) {
            cancelUpstream();
            fail(a, ex);
            return true;
        }
        if (e != 0L && r != Long.MAX_VALUE) {
            REQUESTED.getAndAdd(this, -e);
        }
        return false;
    }

    /** The next whole frame from the bytes at hand, or null if more bytes (or demand) are needed. */
    private ByteBuffer nextFrame() throws FramingException {
        if (last != null) {
            ByteBuffer frame = last;
            last = null;
            return frame;
        }
        for (;;) {
            if (chunk == null) {
                ByteBuffer in = inbound;
                if (in == null) {
                    return null;
                }
                // Plain volatile write, no race with onNext: the next chunk comes only after the
                // next request(1), which this loop has not made yet.
                inbound = null;
                awaitingChunk = false;
                chunk = in;
            }
            ByteBuffer frame = decoder.decode(chunk);
            if (!chunk.hasRemaining()) {
                chunk = null;
            }
            if (frame != null) {
                return frame;
            }
        }
    }

    private void cancelUpstream() {
        if (!upstreamCancelled && !done) { // after onComplete/onError there is nothing to cancel (rule 2.4)
            upstreamCancelled = true;
            upstream.cancel();
        }
    }

    private void complete(Subscriber<? super ByteBuffer> a) {
        cancelled = true; // before the signal: a request() from inside onComplete is a no-op
        release();
        a.onComplete();
    }

    private void fail(Subscriber<? super ByteBuffer> a, Throwable t) {
        cancelled = true;
        release();
        a.onError(t);
    }

    /** Drops everything this subscription holds, subscriber included (rule 3.13). */
    private void release() {
        downstream = null;
        decoder = null;
        chunk = null;
        last = null;
        inbound = null;
    }
}

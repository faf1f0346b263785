package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A cold test publisher of chunks: one chunk per unit of demand, then onComplete (or the given error)
 * as soon as the chunks run out, without waiting for demand. Records what its subscribers asked for;
 * keeps no reference to them, so it does not stand in the way of the TCK's rule 3.13 check.
 *
 * <p>Signals go out on the thread that calls subscribe or request, serialized by a drain loop, so
 * concurrent requests are safe.
 */
final class ChunkSource implements Publisher<ByteBuffer> {

    private final Supplier<Iterator<ByteBuffer>> chunks;
    private final Throwable error;
    /** Every request(n) received, in order, from all subscriptions. */
    final List<Long> requests = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger cancels = new AtomicInteger();
    final AtomicInteger subscribes = new AtomicInteger();

    private ChunkSource(Supplier<Iterator<ByteBuffer>> chunks, Throwable error) {
        this.chunks = chunks;
        this.error = error;
    }

    /** These chunks, read-only duplicates for each subscriber (so positions are not shared), then onComplete. */
    static ChunkSource of(List<ByteBuffer> chunks) {
        return new ChunkSource(() -> chunks.stream().map(ByteBuffer::asReadOnlyBuffer).iterator(), null);
    }

    static ChunkSource of(ByteBuffer... chunks) {
        return of(List.of(chunks));
    }

    /** Chunks made on the fly by a new iterator per subscriber, then onComplete. */
    static ChunkSource generated(Supplier<Iterator<ByteBuffer>> chunks) {
        return new ChunkSource(chunks, null);
    }

    /** These chunks, then onError(error). */
    static ChunkSource failing(Throwable error, ByteBuffer... chunks) {
        return new ChunkSource(() -> List.of(chunks).stream().map(ByteBuffer::asReadOnlyBuffer).iterator(), error);
    }

    long requestedTotal() {
        synchronized (requests) {
            return requests.stream().mapToLong(Long::longValue).sum();
        }
    }

    @Override
    public void subscribe(Subscriber<? super ByteBuffer> subscriber) {
        subscribes.incrementAndGet();
        Emitter emitter = new Emitter(subscriber, chunks.get());
        subscriber.onSubscribe(emitter);
        emitter.drain(); // an empty source completes at once
    }

    private final class Emitter implements Subscription {
        private final AtomicInteger wip = new AtomicInteger();
        private final AtomicLong requested = new AtomicLong();
        private final Iterator<ByteBuffer> iterator;
        private volatile Subscriber<? super ByteBuffer> subscriber; // null once cancelled or ended
        private volatile boolean cancelled;
        private volatile long badRequest;

        Emitter(Subscriber<? super ByteBuffer> subscriber, Iterator<ByteBuffer> iterator) {
            this.subscriber = subscriber;
            this.iterator = iterator;
        }

        @Override
        public void request(long n) {
            requests.add(n);
            if (n <= 0) {
                badRequest = n;
            } else {
                requested.getAndUpdate(r -> r + n < 0 ? Long.MAX_VALUE : r + n);
            }
            drain();
        }

        @Override
        public void cancel() {
            cancels.incrementAndGet();
            cancelled = true;
            drain();
        }

        void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            do {
                Subscriber<? super ByteBuffer> s = subscriber;
                if (s == null) {
                    return;
                }
                if (cancelled) {
                    subscriber = null;
                    return;
                }
                if (badRequest != 0) {
                    subscriber = null;
                    s.onError(new IllegalArgumentException("§3.9: request " + badRequest));
                    return;
                }
                while (requested.get() > 0 && !cancelled && iterator.hasNext()) {
                    requested.decrementAndGet();
                    s.onNext(iterator.next());
                }
                if (!cancelled && !iterator.hasNext()) {
                    subscriber = null;
                    if (error != null) {
                        s.onError(error);
                    } else {
                        s.onComplete();
                    }
                    return;
                }
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }
    }
}

package dev.loopflux.core.file;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A data publisher for writes: {@code count} buffers of {@code size} bytes, byte {@code i} of the
 * stream being {@code (byte) (i * 31 + seed)}, emitted on the requesting thread; optionally
 * failing after them. Records the most demand ever outstanding and whether it was cancelled.
 */
final class Chunks implements Publisher<ByteBuffer> {
    private final int count;
    private final int size;
    private final int seed;
    private final Throwable failure;
    /** Most elements requested and not yet emitted, at any time. */
    final AtomicLong peakOutstanding = new AtomicLong();
    final CompletableFuture<Void> cancelled = new CompletableFuture<>();

    Chunks(int count, int size, int seed, Throwable failure) {
        this.count = count;
        this.size = size;
        this.seed = seed;
        this.failure = failure;
    }

    static Chunks of(int count, int size, int seed) {
        return new Chunks(count, size, seed, null);
    }

    /** The whole stream, to compare with the file. */
    byte[] bytes() {
        byte[] all = new byte[count * size];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i * 31 + seed);
        }
        return all;
    }

    @Override
    public void subscribe(Subscriber<? super ByteBuffer> s) {
        s.onSubscribe(new Subscription() {
            private long outstanding;
            private int emitted;
            private boolean emitting;
            private boolean done;

            @Override
            public synchronized void request(long n) {
                outstanding += n;
                peakOutstanding.accumulateAndGet(outstanding, Math::max);
                if (emitting) {
                    return; // the emitting frame goes on
                }
                emitting = true;
                while (!done && outstanding > 0 && emitted < count) {
                    outstanding--;
                    ByteBuffer b = ByteBuffer.allocate(size);
                    for (int i = 0; i < size; i++) {
                        b.put((byte) ((emitted * size + i) * 31 + seed));
                    }
                    emitted++;
                    s.onNext(b.flip());
                }
                if (!done && emitted == count) {
                    done = true;
                    if (failure != null) {
                        s.onError(failure);
                    } else {
                        s.onComplete();
                    }
                }
                emitting = false;
            }

            @Override
            public synchronized void cancel() {
                done = true;
                cancelled.complete(null);
            }
        });
    }
}

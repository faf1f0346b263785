package dev.loopflux.core.file;

import dev.loopflux.core.Loop;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A test subscriber that records every signal and notes any that does not come on the expected
 * loop's thread or comes after a terminal one. It can request a fixed amount up front and then
 * {@code refill} more from each {@code onNext} (1 for the one-at-a-time reader). Await with
 * {@link #awaitComplete()} and {@link #awaitError()}; never sleep.
 */
final class Signals<T> implements Subscriber<T> {
    private final Loop loop;
    private final long initialRequest;
    private final long refill;
    private final List<T> items = new ArrayList<>();
    private final CRC32 crc = new CRC32();
    private long bytes;
    final CompletableFuture<Void> terminal = new CompletableFuture<>();
    final CompletableFuture<Subscription> subscribed = new CompletableFuture<>();
    /** The first signal that came off the loop thread, or null. */
    volatile String offLoop;
    /** The first signal after a terminal one, or null. */
    volatile String afterTerminal;
    /** Whether to keep the items (buffers of a large file are only checksummed). */
    private final boolean keepItems;

    private Signals(Loop loop, long initialRequest, long refill, boolean keepItems) {
        this.loop = loop;
        this.initialRequest = initialRequest;
        this.refill = refill;
        this.keepItems = keepItems;
    }

    /** Requests {@code initialRequest} in onSubscribe, keeps the items. */
    static <T> Signals<T> requesting(Loop loop, long initialRequest) {
        return new Signals<>(loop, initialRequest, 0, true);
    }

    /** Requests one, and one more from each onNext; checksums buffers instead of keeping them. */
    static Signals<ByteBuffer> oneAtATime(Loop loop) {
        return new Signals<>(loop, 1, 1, false);
    }

    static <T> Signals<T> subscribe(Publisher<T> publisher, Loop loop, long initialRequest) {
        Signals<T> s = requesting(loop, initialRequest);
        publisher.subscribe(s);
        return s;
    }

    Subscription subscription() throws Exception {
        return subscribed.get(10, TimeUnit.SECONDS);
    }

    void request(long n) throws Exception {
        subscription().request(n);
    }

    void cancel() throws Exception {
        subscription().cancel();
    }

    synchronized List<T> items() {
        return new ArrayList<>(items);
    }

    synchronized long crc() {
        return crc.getValue();
    }

    synchronized long bytes() {
        return bytes;
    }

    /** The bytes of all buffers kept, in order. */
    synchronized byte[] content() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (T item : items) {
            ByteBuffer b = ((ByteBuffer) item).duplicate();
            byte[] a = new byte[b.remaining()];
            b.get(a);
            out.write(a, 0, a.length);
        }
        return out.toByteArray();
    }

    void awaitComplete() throws Exception {
        awaitComplete(30);
    }

    void awaitComplete(long seconds) throws Exception {
        terminal.get(seconds, TimeUnit.SECONDS);
    }

    Throwable awaitError() throws Exception {
        try {
            terminal.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected onError, got onComplete after " + items().size() + " items");
    }

    private void check(String signal) {
        if (loop != null && !loop.inLoop() && offLoop == null) {
            offLoop = signal + " on " + Thread.currentThread().getName();
        }
        if (terminal.isDone() && afterTerminal == null) {
            afterTerminal = signal;
        }
    }

    @Override
    public void onSubscribe(Subscription s) {
        check("onSubscribe");
        subscribed.complete(s);
        if (initialRequest > 0) {
            s.request(initialRequest);
        }
    }

    @Override
    public void onNext(T item) {
        check("onNext");
        synchronized (this) {
            if (item instanceof ByteBuffer b) {
                bytes += b.remaining();
                crc.update(b.duplicate());
            }
            if (keepItems) {
                items.add(item);
            }
        }
        if (refill > 0) {
            subscribed.join().request(refill);
        }
    }

    @Override
    public void onError(Throwable t) {
        check("onError");
        terminal.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        check("onComplete");
        terminal.complete(null);
    }
}

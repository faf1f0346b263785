package dev.loopflux.core.net;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/** A test subscriber that requests everything and records what it gets; await its end. */
final class Probe<T> implements Subscriber<T> {
    final List<T> items = java.util.Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile Subscription subscription;
    volatile Thread signalThread;

    static <T> Probe<T> of(Publisher<T> publisher) {
        Probe<T> probe = new Probe<>();
        publisher.subscribe(probe);
        return probe;
    }

    static <T> T single(Publisher<T> publisher) throws Exception {
        Probe<T> probe = of(publisher);
        probe.awaitComplete();
        if (probe.items.size() != 1) {
            throw new AssertionError("expected one item, got " + probe.items);
        }
        return probe.items.get(0);
    }

    static Throwable error(Publisher<?> publisher) throws Exception {
        Probe<?> probe = of(publisher);
        try {
            probe.done.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected an error, completed with " + probe.items);
    }

    static byte[] drain(Publisher<ByteBuffer> publisher) throws Exception {
        Probe<ByteBuffer> probe = of(publisher);
        probe.awaitComplete();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        synchronized (probe.items) {
            for (ByteBuffer b : probe.items) {
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                out.write(bytes);
            }
        }
        return out.toByteArray();
    }

    @SafeVarargs
    static <T> Publisher<T> publisherOf(T... items) {
        return s -> s.onSubscribe(new Subscription() {
            int next;
            boolean done;

            @Override
            public void request(long n) {
                while (n-- > 0 && !done && next < items.length) {
                    s.onNext(items[next++]);
                }
                if (!done && next == items.length) {
                    done = true;
                    s.onComplete();
                }
            }

            @Override
            public void cancel() {
                done = true;
            }
        });
    }

    void awaitComplete() throws Exception {
        done.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void onSubscribe(Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(T item) {
        signalThread = Thread.currentThread();
        items.add(item);
    }

    @Override
    public void onError(Throwable t) {
        done.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        done.complete(null);
    }
}

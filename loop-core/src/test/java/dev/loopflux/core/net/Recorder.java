package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A test subscriber with manual demand that records every signal: the items, the terminal
 * signal, how many times each signal came, and whether any signal came off the expected loop.
 * Await with {@link #awaitCount}, {@link #awaitComplete}, {@link #awaitError}; never sleep.
 */
final class Recorder<T> implements Subscriber<T> {
    private final long initialRequest;
    private final Loop expectedLoop;
    private final List<T> items = new ArrayList<>();
    private final List<int[]> waiters = new ArrayList<>();
    private final List<CompletableFuture<Void>> countFutures = new ArrayList<>();
    /** Completes on onComplete, fails with the error on onError. */
    final CompletableFuture<Void> terminal = new CompletableFuture<>();
    final CompletableFuture<Subscription> subscribed = new CompletableFuture<>();
    final AtomicInteger onSubscribeCalls = new AtomicInteger();
    final AtomicInteger terminalCalls = new AtomicInteger();
    /** A signal arrived on a thread other than {@link #expectedLoop}'s; null when all were on it. */
    volatile String offLoopSignal;
    /** A signal arrived after a terminal signal. */
    volatile String afterTerminal;

    private Recorder(long initialRequest, Loop expectedLoop) {
        this.initialRequest = initialRequest;
        this.expectedLoop = expectedLoop;
    }

    /** Requests {@code initialRequest} in onSubscribe (0 for none); does not check threads. */
    static <T> Recorder<T> requesting(long initialRequest) {
        return new Recorder<>(initialRequest, null);
    }

    /** As {@link #requesting}, and notes any signal that does not come on {@code loop}'s thread. */
    static <T> Recorder<T> onLoop(Loop loop, long initialRequest) {
        return new Recorder<>(initialRequest, loop);
    }

    static <T> Recorder<T> subscribe(Publisher<T> publisher, long initialRequest) {
        Recorder<T> r = requesting(initialRequest);
        publisher.subscribe(r);
        return r;
    }

    void request(long n) {
        subscription().request(n);
    }

    void cancel() {
        subscription().cancel();
    }

    Subscription subscription() {
        try {
            return subscribed.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no onSubscribe within 10 s", e);
        }
    }

    synchronized List<T> items() {
        return new ArrayList<>(items);
    }

    synchronized int count() {
        return items.size();
    }

    /** Completes once at least {@code n} items arrived. */
    synchronized CompletableFuture<Void> whenCount(int n) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (items.size() >= n) {
            f.complete(null);
        } else {
            waiters.add(new int[] {n});
            countFutures.add(f);
        }
        return f;
    }

    void awaitCount(int n) throws Exception {
        whenCount(n).get(10, TimeUnit.SECONDS);
    }

    void awaitComplete() throws Exception {
        terminal.get(10, TimeUnit.SECONDS);
    }

    Throwable awaitError() throws Exception {
        try {
            terminal.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected onError, got onComplete after " + count() + " items");
    }

    boolean isTerminated() {
        return terminal.isDone();
    }

    /** The bytes of all items, in order (for buffers). */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (T item : items()) {
            ByteBuffer b = ((ByteBuffer) item).duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            out.write(bytes, 0, bytes.length);
        }
        return out.toByteArray();
    }

    private void check(String signal) {
        if (expectedLoop != null && !expectedLoop.inLoop() && offLoopSignal == null) {
            offLoopSignal = signal + " on " + Thread.currentThread().getName();
        }
        if (terminal.isDone() && afterTerminal == null) {
            afterTerminal = signal;
        }
    }

    @Override
    public void onSubscribe(Subscription s) {
        check("onSubscribe");
        onSubscribeCalls.incrementAndGet();
        subscribed.complete(s);
        if (initialRequest > 0) {
            s.request(initialRequest);
        }
    }

    @Override
    public void onNext(T item) {
        check("onNext");
        synchronized (this) {
            items.add(item);
            for (int i = waiters.size() - 1; i >= 0; i--) {
                if (items.size() >= waiters.get(i)[0]) {
                    waiters.remove(i);
                    countFutures.remove(i).complete(null);
                }
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        check("onError");
        terminalCalls.incrementAndGet();
        terminal.completeExceptionally(t);
        failWaiters(t);
    }

    @Override
    public void onComplete() {
        check("onComplete");
        terminalCalls.incrementAndGet();
        terminal.complete(null);
        failWaiters(new AssertionError("completed after " + count() + " items"));
    }

    private synchronized void failWaiters(Throwable t) {
        for (CompletableFuture<Void> f : countFutures) {
            f.completeExceptionally(t);
        }
        waiters.clear();
        countFutures.clear();
    }
}

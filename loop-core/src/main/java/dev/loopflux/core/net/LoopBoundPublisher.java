package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Keeps a publisher's signals on a loop when its source signals there: {@code subscribe},
 * {@code request} and {@code cancel} made off the loop hop onto it, so an operator that emits on
 * the requesting thread (framing with a frame already buffered) still emits on the loop.
 *
 * <p>Threading: safe from any thread; on the loop it adds one call and no allocation.
 */
final class LoopBoundPublisher<T> implements Publisher<T> {
    private final Publisher<T> source;
    private final Loop loop;

    LoopBoundPublisher(Publisher<T> source, Loop loop) {
        this.source = source;
        this.loop = loop;
    }

    @Override
    public void subscribe(Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        onLoop(() -> source.subscribe(new Bound<>(subscriber, this)),
                () -> TcpConnection.reject(subscriber, new ConnectionClosedException("loop " + loop.name() + " is shut down")));
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

    /** Passes signals through; moves {@code request} and {@code cancel} onto the loop. */
    private static final class Bound<T> implements Subscriber<T>, Subscription {
        private final Subscriber<? super T> downstream;
        private final LoopBoundPublisher<T> parent;
        private Subscription upstream;

        Bound(Subscriber<? super T> downstream, LoopBoundPublisher<T> parent) {
            this.downstream = downstream;
            this.parent = parent;
        }

        @Override
        public void onSubscribe(Subscription s) {
            upstream = s;
            downstream.onSubscribe(this);
        }

        @Override
        public void onNext(T item) {
            downstream.onNext(item);
        }

        @Override
        public void onError(Throwable error) {
            downstream.onError(error);
        }

        @Override
        public void onComplete() {
            downstream.onComplete();
        }

        @Override
        public void request(long n) {
            if (parent.loop.inLoop()) {
                upstream.request(n);
            } else {
                parent.onLoop(() -> upstream.request(n), null);
            }
        }

        @Override
        public void cancel() {
            if (parent.loop.inLoop()) {
                upstream.cancel();
            } else {
                parent.onLoop(upstream::cancel, null);
            }
        }
    }
}

package dev.loopflux.core;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Plain subscriptions for code that uses loop-core without a reactive library: take every item
 * of a publisher, or wait for a completion publisher such as {@code Connection.send(...)} to end.
 *
 * <pre>{@code
 * Publishers.consume(server.connections(), c ->
 *         Publishers.consume(c.send(c.inbound()), nothing -> { }).whenComplete((v, e) -> c.close()));
 * }</pre>
 *
 * <p>Shaped like the JDK's {@code SubmissionPublisher.consume}. Thread-safe; the action and the
 * returned future's completion run on the thread the publisher signals on (for loop-core's
 * publishers, the loop's thread).
 */
public final class Publishers {

    private Publishers() {
    }

    /**
     * Subscribes now, requests everything, and calls {@code action} with each item. The future
     * completes when the publisher completes, or exceptionally with its error or with the
     * {@code RuntimeException} {@code action} threw (the subscription is then cancelled).
     * Cancelling the future cancels the subscription.
     */
    public static <T> CompletableFuture<Void> consume(Publisher<T> publisher, Consumer<? super T> action) {
        Objects.requireNonNull(publisher, "publisher");
        Objects.requireNonNull(action, "action");
        Consuming<T> subscriber = new Consuming<>(action);
        publisher.subscribe(subscriber);
        return subscriber.done;
    }

    /** The subscriber behind {@link #consume}. */
    private static final class Consuming<T> implements Subscriber<T> {
        private final Consumer<? super T> action;
        private final CompletableFuture<Void> done;
        private Subscription subscription;

        Consuming(Consumer<? super T> action) {
            this.action = action;
            this.done = new CompletableFuture<>() {
                @Override
                public boolean cancel(boolean mayInterruptIfRunning) {
                    boolean cancelled = super.cancel(mayInterruptIfRunning);
                    if (cancelled) {
                        cancelUpstream();
                    }
                    return cancelled;
                }
            };
        }

        private synchronized void cancelUpstream() {
            if (subscription != null) {
                subscription.cancel();
            }
        }

        @Override
        public void onSubscribe(Subscription s) {
            Objects.requireNonNull(s, "subscription"); // §2.13
            synchronized (this) {
                if (subscription != null) {
                    s.cancel(); // §2.5: one subscription only
                    return;
                }
                subscription = s;
            }
            if (done.isDone()) {
                s.cancel(); // the future was cancelled before the subscription came
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(T item) {
            Objects.requireNonNull(item, "item"); // §2.13
            if (done.isDone()) {
                return; // cancelled: items still in flight are dropped
            }
            try {
                action.accept(item);
            } catch (RuntimeException error) { // an Error goes on up, to the publisher's error handling
                cancelUpstream();
                done.completeExceptionally(error);
            }
        }

        @Override
        public void onError(Throwable error) {
            Objects.requireNonNull(error, "error"); // §2.13
            done.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }
    }
}

package dev.loopflux.core;

import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscriber;
import org.reactivestreams.tck.SubscriberBlackboxVerification;
import org.reactivestreams.tck.TestEnvironment;

/**
 * Reactive Streams TCK (black box) for the subscriber behind {@link Publishers#consume}: the
 * publisher handed to {@code consume} only captures the subscriber it is given.
 *
 * <p>Skipped: the {@code untested_*} rules, by the TCK itself. {@code PublishersTest} checks the
 * rest on real loops: items in order, the future's completion, cancel both ways.
 *
 * <p>Public for TestNG; see {@code net.LengthPrefixedFramingVerification} for the lint warning.
 */
@SuppressWarnings("exports")
public class PublishersConsumeVerification extends SubscriberBlackboxVerification<Integer> {

    public PublishersConsumeVerification() {
        super(new TestEnvironment(1000));
    }

    @Override
    @SuppressWarnings("unchecked")
    public Subscriber<Integer> createSubscriber() {
        CompletableFuture<Subscriber<? super Integer>> captured = new CompletableFuture<>();
        org.reactivestreams.Publisher<Integer> capturing = captured::complete;
        Publishers.consume(capturing, item -> { });
        return (Subscriber<Integer>) captured.join(); // subscribe() ran on this thread
    }

    @Override
    public Integer createElement(int element) {
        return element;
    }
}

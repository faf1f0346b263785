package dev.loopflux.core;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK for {@link TimePublishers#timeout} over a source that emits exactly the
 * requested count as it is requested (so no timeout fires with the generous limit used here).
 * The failed publisher is a timeout over a source that fails at once.
 */
public class TimeoutPublisherVerification extends PublisherVerification<Long> {
    private Loop loop;

    public TimeoutPublisherVerification() {
        super(new TestEnvironment(300));
    }

    @BeforeClass
    public void start() {
        loop = Loop.create("tck-timeout");
    }

    @AfterClass
    public void stop() throws Exception {
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return TimePublishers.timeout(range(elements), loop, Duration.ofSeconds(30));
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return TimePublishers.timeout(s -> {
            s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            s.onError(new IllegalStateException("failed source"));
        }, loop, Duration.ofSeconds(30));
    }

    /** 0 .. count-1, emitted on the requesting thread, with a drain loop (no recursion). */
    static Publisher<Long> range(long count) {
        return s -> s.onSubscribe(new Subscription() {
            private long next;
            private long requested;
            private boolean emitting;
            private boolean cancelled;

            @Override
            public synchronized void request(long n) {
                if (n <= 0) {
                    cancelled = true;
                    s.onError(new IllegalArgumentException("§3.9: request(" + n + ")"));
                    return;
                }
                requested = requested + n < 0 ? Long.MAX_VALUE : requested + n;
                if (emitting) {
                    return;
                }
                emitting = true;
                while (!cancelled && requested > 0 && next < count) {
                    requested--;
                    s.onNext(next++);
                }
                if (!cancelled && next == count) {
                    cancelled = true;
                    s.onComplete();
                }
                emitting = false;
            }

            @Override
            public synchronized void cancel() {
                cancelled = true;
            }
        });
    }
}

package dev.loopflux.core;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK for {@link TimePublishers#delay}: zero or one element. The rules that need
 * more than one element are skipped by the TCK itself ({@code maxElementsFromPublisher() == 1}).
 * There is no failed delay publisher (the only failure, a loop shut down, is tested by its own
 * test), so that rule is skipped too ({@code createFailedPublisher() == null}).
 */
public class DelayPublisherVerification extends PublisherVerification<Long> {
    private Loop loop;

    public DelayPublisherVerification() {
        super(new TestEnvironment(300));
    }

    @BeforeClass
    public void start() {
        loop = Loop.create("tck-delay");
    }

    @AfterClass
    public void stop() throws Exception {
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return TimePublishers.delay(loop, Duration.ofMillis(1));
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return null;
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }
}

package dev.loopflux.core;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK for {@link BlockingPool#call}: at most one element, so
 * {@link #maxElementsFromPublisher()} is 1 and the TCK skips the rules that need more (among
 * them §3.9's request(0), checked in {@code BlockingPoolTest} instead). {@code createPublisher(0)}
 * is work that returns null (empty); the failed publisher uses a pool that is shut down, which
 * fails each subscriber without a request.
 *
 * <p>Public for TestNG; see {@code net.LengthPrefixedFramingVerification} for the lint warning.
 */
@SuppressWarnings("exports")
public class OffloadVerification extends PublisherVerification<Integer> {
    private Loop loop;
    private BlockingPool pool;
    private BlockingPool deadPool;

    public OffloadVerification() {
        super(new TestEnvironment(1000));
    }

    @BeforeClass
    public void start() {
        loop = Loop.create("tck-offload");
        pool = BlockingPool.create(2, 100);
        deadPool = BlockingPool.create(1, 1);
        deadPool.shutdown();
    }

    @AfterClass
    public void stop() throws Exception {
        pool.shutdown();
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        return pool.call(loop, () -> elements == 0 ? null : 42);
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        return deadPool.call(loop, () -> 42);
    }
}

package dev.loopflux.core.net;

import dev.loopflux.core.LoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.Assert;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/**
 * Reactive Streams TCK for {@link UdpEndpoint#receive()}, on real UDP sockets on 127.0.0.1.
 *
 * <p>A datagram stream has no end of its own, so the publisher under test is the endpoint's
 * {@code receive()} seen through a thin "take n, then close" step of this test: after the n-th
 * datagram it closes the endpoint, and the endpoint completes its receiver (for n = 0, at once
 * after {@code onSubscribe}). The TCK thus checks {@code receive()}'s own signals, demand and
 * completion on close; the step only counts and closes.
 *
 * <p>The peer, a plain {@link DatagramChannel} on its own thread, sends exactly n numbered
 * datagrams, at most {@link #WINDOW} ahead of those delivered: loopback drops nothing while the
 * receive buffer has room, and 32 small datagrams fit in it, so exactly n arrive, in order, even
 * for a subscriber that requests slowly. A huge n costs only what is requested.
 *
 * <p>The failed publisher is {@code receive()} of a closed endpoint: {@code onSubscribe}, then
 * {@code onError(}{@link ConnectionClosedException}{@code )}, without a request.
 *
 * <p>Skipped, and why: the {@code optional_spec111_*} multi-subscriber rules, since datagrams go
 * to one subscriber at a time (documented; another one meanwhile gets
 * {@code IllegalStateException}), so the TCK marks them skipped; the {@code untested_*} rules,
 * by the TCK itself.
 */
@SuppressWarnings("exports") // public for TestNG; see LengthPrefixedFramingVerification
public class DatagramReceiveVerification extends PublisherVerification<Datagram> {
    /** Datagrams the peer may send ahead of delivery; they wait in the receive buffer. */
    static final int WINDOW = 32;

    private LoopGroup group;
    private ExecutorService peers;
    private final List<AutoCloseable> perTest = new ArrayList<>();

    public DatagramReceiveVerification() {
        super(new TestEnvironment(500));
    }

    @BeforeClass
    public void startLoops() {
        group = LoopGroup.create("tck-udp-receive", 2);
        peers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tck-udp-peer");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterMethod
    public void closeEndpoints() throws Exception {
        synchronized (perTest) {
            for (AutoCloseable c : perTest) {
                c.close();
            }
            perTest.clear();
        }
    }

    @AfterClass
    public void stopLoops() throws Exception {
        peers.shutdownNow();
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public Publisher<Datagram> createPublisher(long elements) {
        try {
            UdpEndpoint endpoint = endpoint();
            Peer peer = new Peer(endpoint.localAddress(), elements);
            synchronized (perTest) {
                perTest.add(peer);
            }
            peers.execute(peer);
            return subscriber -> endpoint.receive().subscribe(
                    new TakeThenClose(Objects.requireNonNull(subscriber, "subscriber"), elements, endpoint, peer));
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind an endpoint", e);
        }
    }

    @Override
    public Publisher<Datagram> createFailedPublisher() {
        try {
            UdpEndpoint endpoint = endpoint();
            endpoint.close();
            Net.await(endpoint.onClose());
            return endpoint.receive();
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind an endpoint", e);
        }
    }

    @Override
    public long boundedDepthOfOnNextAndRequestRecursion() {
        return 1;
    }

    /** Exactly n datagrams, whole and in order, from the peer. */
    @Test
    public void datagramsArriveWholeAndInOrder() throws Exception {
        Recorder<Datagram> r = Recorder.subscribe(createPublisher(300), Long.MAX_VALUE);
        r.awaitComplete();
        List<Datagram> datagrams = r.items();
        Assert.assertEquals(datagrams.size(), 300);
        for (int i = 0; i < datagrams.size(); i++) {
            Assert.assertEquals(datagrams.get(i).content(), payload(i), "datagram " + i);
        }
    }

    private UdpEndpoint endpoint() throws IOException {
        UdpEndpoint endpoint = UdpEndpoint.bind(group.next(), new InetSocketAddress("127.0.0.1", 0), UdpOptions.defaults());
        synchronized (perTest) {
            perTest.add(() -> { // and wait: a late signal would land in the next test
                endpoint.close();
                Net.await(endpoint.onClose());
            });
        }
        return endpoint;
    }

    /** Datagram {@code i}: its number and a few bytes more, every 7th empty past the number. */
    private static ByteBuffer payload(long i) {
        int extra = i % 7 == 3 ? 0 : (int) (i % 13);
        ByteBuffer b = ByteBuffer.allocate(8 + extra);
        b.putLong(0, i);
        return b;
    }

    /** Sends n datagrams, at most {@link #WINDOW} ahead of delivery; stops when closed. */
    private static final class Peer implements Runnable, AutoCloseable {
        private final InetSocketAddress target;
        private final long n;
        private final Semaphore window = new Semaphore(WINDOW);
        private volatile boolean stopped;

        Peer(InetSocketAddress target, long n) {
            this.target = target;
            this.n = n;
        }

        void delivered() {
            window.release();
        }

        @Override
        public void run() {
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
                for (long i = 0; i < n && !stopped; ) {
                    if (window.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                        channel.send(payload(i++), target);
                    }
                }
            } catch (IOException e) {
                // the test is over
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stopped = true;
        }
    }

    /**
     * The test's "take n": passes every signal through, and closes the endpoint once n datagrams
     * went by (at once for n = 0), which completes the receiver.
     */
    private static final class TakeThenClose implements Subscriber<Datagram> {
        private final Subscriber<? super Datagram> downstream;
        private final long n;
        private final UdpEndpoint endpoint;
        private final Peer peer;
        private long seen;

        TakeThenClose(Subscriber<? super Datagram> downstream, long n, UdpEndpoint endpoint, Peer peer) {
            this.downstream = downstream;
            this.n = n;
            this.endpoint = endpoint;
            this.peer = peer;
        }

        @Override
        public void onSubscribe(Subscription s) {
            downstream.onSubscribe(s);
            if (n == 0) {
                endpoint.close();
            }
        }

        @Override
        public void onNext(Datagram datagram) {
            peer.delivered();
            downstream.onNext(datagram);
            if (++seen == n) {
                endpoint.close();
            }
        }

        @Override
        public void onError(Throwable t) {
            downstream.onError(t);
        }

        @Override
        public void onComplete() {
            downstream.onComplete();
        }
    }
}

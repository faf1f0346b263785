package dev.loopflux.core.net;

import dev.loopflux.core.LoopGroup;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
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
 * Reactive Streams TCK for a connection's {@link Connection#inbound()}, made countable by framing:
 * {@code Framing.lengthPrefixed(connection.inbound(), 4, 1 << 20, peer)} on the server side of a
 * real TCP connection whose peer, a plain socket on a writer thread, writes exactly {@code n}
 * frames (cut into pieces of random sizes, so frames straddle reads) and then half-closes.
 * The peer writes as TCP flow control lets it, so a huge {@code n} costs only what is read.
 *
 * <p>Skipped, and why: the {@code optional_spec111_*} multi-subscriber rules: a connection's
 * bytes go to one subscriber (documented; a second gets {@code IllegalStateException}), so the
 * TCK marks them skipped; the {@code untested_*} rules are skipped by the TCK itself.
 *
 * <p>The failed publisher frames the inbound of a connection that was closed: a subscriber gets
 * onSubscribe, then onError({@link ConnectionClosedException}), without requesting.
 */
@SuppressWarnings("exports") // public for TestNG; see LengthPrefixedFramingVerification
public class InboundPublisherVerification extends PublisherVerification<ByteBuffer> {
    private static final int FIELD = 4;
    private static final int MAX_FRAME = 1 << 20;

    private LoopGroup group;
    private TcpServer server;
    private final BlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> perTest = new ArrayList<>();
    private ExecutorService writers;

    public InboundPublisherVerification() {
        super(new TestEnvironment(500));
    }

    @BeforeClass
    public void startServer() throws Exception {
        group = LoopGroup.create("tck-inbound", 2);
        writers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tck-peer");
            t.setDaemon(true);
            return t;
        });
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().readBufferSize(256).build());
        server.connections().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Connection c) {
                accepted.add(c);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
    }

    @AfterMethod
    public void closePeers() throws Exception {
        synchronized (perTest) {
            for (AutoCloseable c : perTest) {
                c.close();
            }
            perTest.clear();
        }
    }

    @AfterClass
    public void stopServer() throws Exception {
        writers.shutdownNow();
        Net.await(server.close());
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public Publisher<ByteBuffer> createPublisher(long elements) {
        try {
            Socket peer = new Socket();
            Connection connection = connect(peer);
            writers.execute(() -> writeFrames(peer, elements));
            return Framing.lengthPrefixed(connection.inbound(), FIELD, MAX_FRAME, Peers.describe(connection.remoteAddress()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up a connection", e);
        }
    }

    @Override
    public Publisher<ByteBuffer> createFailedPublisher() {
        try {
            Connection connection = connect(new Socket());
            connection.close();
            Net.await(connection.onClose());
            return Framing.lengthPrefixed(connection.inbound(), FIELD, MAX_FRAME, Peers.describe(connection.remoteAddress()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up a connection", e);
        }
    }

    @Override
    public long boundedDepthOfOnNextAndRequestRecursion() {
        return 1;
    }

    /** The frames arrive whole and in order, whatever pieces the peer wrote them in. */
    @Test
    public void framesArriveWholeAndInOrder() throws Exception {
        Recorder<ByteBuffer> r = Recorder.subscribe(createPublisher(300), Long.MAX_VALUE);
        r.awaitComplete();
        List<ByteBuffer> frames = r.items();
        Assert.assertEquals(frames.size(), 300);
        for (int i = 0; i < frames.size(); i++) {
            Assert.assertEquals(frames.get(i), payload(i), "frame " + i);
        }
    }

    /** A peer socket connected to the server, and the server side of it, from the accepted queue. */
    private Connection connect(Socket peer) throws Exception {
        synchronized (perTest) {
            perTest.add(peer);
        }
        peer.setTcpNoDelay(true);
        peer.connect(server.localAddress(), 10_000);
        for (;;) {
            Connection c = accepted.poll(10, TimeUnit.SECONDS);
            if (c == null) {
                throw new AssertionError("the server did not accept the peer within 10 s");
            }
            if (((InetSocketAddress) c.remoteAddress()).getPort() == peer.getLocalPort()) {
                synchronized (perTest) {
                    perTest.add(() -> { // and wait: a late signal would land in the next test
                        c.close();
                        Net.await(c.onClose());
                    });
                }
                return c;
            }
            accepted.add(c); // another test's: keep it for its owner
        }
    }

    /** Frame {@code i}: a few bytes naming it, of varying lengths, every 7th empty. */
    private static ByteBuffer payload(long i) {
        if (i % 7 == 3) {
            return ByteBuffer.allocate(0);
        }
        return ByteBuffer.wrap(("frame " + i + " " + "x".repeat((int) (i % 11))).getBytes(StandardCharsets.US_ASCII));
    }

    /** Writer thread: {@code n} frames in pieces of 1 to 40 bytes, then end of stream. */
    private static void writeFrames(Socket peer, long n) {
        Random sizes = new Random(n);
        try {
            OutputStream out = peer.getOutputStream();
            byte[] pending = new byte[0];
            int offset = 0;
            for (long i = 0; i < n || offset < pending.length; ) {
                if (offset == pending.length) {
                    ByteBuffer frame = Framing.encodeLengthPrefixed(payload(i++), FIELD);
                    pending = new byte[frame.remaining()];
                    frame.get(pending);
                    offset = 0;
                }
                int piece = Math.min(pending.length - offset, 1 + sizes.nextInt(40));
                out.write(pending, offset, piece);
                offset += piece;
            }
            peer.shutdownOutput();
        } catch (IOException e) {
            // the test is over, or the subscriber cancelled and the connection closed
        }
    }
}

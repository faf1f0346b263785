package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.Assert;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/**
 * Reactive Streams TCK for {@link TcpClient#connect}: a cold publisher of at most one
 * connection, so {@link #maxElementsFromPublisher()} is 1 and the TCK skips every rule that
 * needs more elements (among them §3.9's request(0) and request(-n), which need 10: they are
 * checked by the two extra tests at the end instead).
 *
 * <p>{@code createPublisher(0)}: a connect cannot complete empty; the same publisher is returned,
 * because the two required zero-element rules (§1.9: onSubscribe first, NPE on a null
 * subscriber) never request, and a connect starts only on the first request, so nothing is
 * emitted. The optional empty-stream rule is skipped below, with that reason.
 *
 * <p>The failed publisher connects on a loop that has shut down: it signals onSubscribe then
 * onError without any request, which the failed-publisher rules require. A refused connect
 * fails only once requested; the extra test {@link #refusedConnectFailsOnceRequested} covers it.
 */
@SuppressWarnings("exports") // public for TestNG; see LengthPrefixedFramingVerification
public class ConnectPublisherVerification extends PublisherVerification<Connection> {
    private LoopGroup group;
    private Loop deadLoop;
    private TcpServer server;

    public ConnectPublisherVerification() {
        super(new TestEnvironment(500));
    }

    @BeforeClass
    public void startServer() throws Exception {
        group = LoopGroup.create("tck-connect", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        server.connections().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Connection c) {
                c.close(); // only the client side matters here
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        deadLoop = Loop.create("tck-dead");
        deadLoop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    @AfterClass
    public void stopServer() throws Exception {
        Net.await(server.close());
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    @Override
    public Publisher<Connection> createPublisher(long elements) {
        return TcpClient.connect(group, server.localAddress(), TcpOptions.defaults());
    }

    @Override
    public Publisher<Connection> createFailedPublisher() {
        return TcpClient.connect(deadLoop, server.localAddress(), TcpOptions.defaults());
    }

    @Override
    @Test
    public void optional_spec105_emptyStreamMustTerminateBySignallingOnComplete() {
        notVerified("a connect emits exactly one connection or fails: it has no empty stream");
    }

    @Test
    public void refusedConnectFailsOnceRequested() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Recorder<Connection> r = Recorder.requesting(0);
        TcpClient.connect(group, new InetSocketAddress("127.0.0.1", port), TcpOptions.defaults()).subscribe(r);
        r.subscription();
        Assert.assertFalse(r.isTerminated(), "nothing before the first request");
        r.request(1);
        Throwable error = r.awaitError();
        Assert.assertTrue(error instanceof ConnectException, String.valueOf(error));
        Assert.assertEquals(error.getMessage(), "connection refused: 127.0.0.1:" + port);
        Assert.assertEquals(r.count(), 0);
    }

    @Test
    public void nonPositiveRequestsSignalIllegalArgumentException() throws Exception {
        for (long n : new long[] {0, -1, Long.MIN_VALUE}) {
            Recorder<Connection> r = Recorder.requesting(0);
            createPublisher(1).subscribe(r);
            r.request(n);
            Throwable error = r.awaitError();
            Assert.assertTrue(error instanceof IllegalArgumentException, String.valueOf(error));
            Assert.assertTrue(error.getMessage().contains("3.9"), error.getMessage());
        }
    }
}

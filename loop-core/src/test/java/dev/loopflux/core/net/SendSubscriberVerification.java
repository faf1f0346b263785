package dev.loopflux.core.net;

import dev.loopflux.core.LoopGroup;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.reactivestreams.tck.SubscriberBlackboxVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK (black box) for the subscriber that {@link Connection#send} subscribes to
 * the data publisher. {@link #createSubscriber()} connects a fresh client to a server that reads
 * and drops everything, calls {@code send} with a publisher that only hands over the subscriber
 * it is given, subscribes to the send's completion so that the send starts, and returns that
 * subscriber. Each subscriber has its own connection: sends on one connection run one after
 * the other, and a test may leave its send unfinished.
 *
 * <p>Skipped: the {@code untested_*} rules, by the TCK itself. The white-box rules need probes
 * inside the subscriber; two of them (no cancel from within or after the data's onError and
 * onComplete, §2.3 and §2.4) are in {@link TcpConnectionTest} instead.
 */
@SuppressWarnings("exports") // public for TestNG; see LengthPrefixedFramingVerification
public class SendSubscriberVerification extends SubscriberBlackboxVerification<ByteBuffer> {
    private LoopGroup group;
    private TcpServer sink;
    private final List<Connection> connections = new ArrayList<>();

    public SendSubscriberVerification() {
        super(new TestEnvironment(500));
    }

    @BeforeClass
    public void startSink() throws Exception {
        group = LoopGroup.create("tck-send", 2);
        sink = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        sink.connections().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Connection c) {
                c.inbound().subscribe(new Subscriber<>() {
                    @Override
                    public void onSubscribe(Subscription s) {
                        s.request(Long.MAX_VALUE);
                    }

                    @Override
                    public void onNext(ByteBuffer b) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        c.close();
                    }

                    @Override
                    public void onComplete() {
                        c.close();
                    }
                });
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
    public void closeConnections() throws Exception {
        List<Connection> done;
        synchronized (connections) {
            done = new ArrayList<>(connections);
            connections.clear();
        }
        for (Connection c : done) { // and wait: a late signal would land in the next test
            c.close();
            Net.await(c.onClose());
        }
    }

    @AfterClass
    public void stopSink() throws Exception {
        Net.await(sink.close());
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Subscriber<ByteBuffer> createSubscriber() {
        try {
            Connection connection = Probe.single(TcpClient.connect(group, sink.localAddress(), TcpOptions.defaults()));
            synchronized (connections) {
                connections.add(connection);
            }
            CompletableFuture<Subscriber<? super ByteBuffer>> captured = new CompletableFuture<>();
            connection.send(captured::complete).subscribe(Recorder.requesting(1));
            return (Subscriber<ByteBuffer>) captured.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a send", e);
        }
    }

    @Override
    public ByteBuffer createElement(int element) {
        return ByteBuffer.wrap(("element " + element + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}

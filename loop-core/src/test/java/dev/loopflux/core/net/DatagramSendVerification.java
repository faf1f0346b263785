package dev.loopflux.core.net;

import dev.loopflux.core.LoopGroup;
import java.net.InetSocketAddress;
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
 * Reactive Streams TCK (black box) for the subscriber that {@link UdpEndpoint#send} subscribes to
 * the datagrams' publisher. {@link #createSubscriber()} binds a fresh endpoint, calls
 * {@code send} with a publisher that only hands over the subscriber it is given, subscribes to
 * the send's completion so that the send starts, and returns that subscriber. The datagrams go
 * to a sink endpoint that reads and drops them. Each subscriber has its own endpoint: sends on
 * one endpoint run one after the other, and a test may leave its send unfinished.
 *
 * <p>Skipped: the {@code untested_*} rules, by the TCK itself. The white-box rules need probes
 * inside the subscriber; the same subscriber logic for streams ({@link SendOperation}) has its
 * §2.3/§2.4 checks in {@link TcpConnectionTest}.
 */
@SuppressWarnings("exports") // public for TestNG; see LengthPrefixedFramingVerification
public class DatagramSendVerification extends SubscriberBlackboxVerification<Datagram> {
    private LoopGroup group;
    private UdpEndpoint sink;
    private final List<UdpEndpoint> endpoints = new ArrayList<>();

    public DatagramSendVerification() {
        super(new TestEnvironment(500));
    }

    @BeforeClass
    public void startSink() throws Exception {
        group = LoopGroup.create("tck-udp-send", 2);
        sink = UdpEndpoint.bind(group.next(), new InetSocketAddress("127.0.0.1", 0), UdpOptions.defaults());
        sink.receive().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Datagram d) {
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
    public void closeEndpoints() throws Exception {
        List<UdpEndpoint> done;
        synchronized (endpoints) {
            done = new ArrayList<>(endpoints);
            endpoints.clear();
        }
        for (UdpEndpoint e : done) { // and wait: a late signal would land in the next test
            e.close();
            Net.await(e.onClose());
        }
    }

    @AfterClass
    public void stopSink() throws Exception {
        sink.close();
        Net.await(sink.onClose());
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Subscriber<Datagram> createSubscriber() {
        try {
            UdpEndpoint endpoint = UdpEndpoint.bind(group.next(), new InetSocketAddress("127.0.0.1", 0), UdpOptions.defaults());
            synchronized (endpoints) {
                endpoints.add(endpoint);
            }
            CompletableFuture<Subscriber<? super Datagram>> captured = new CompletableFuture<>();
            endpoint.send(captured::complete).subscribe(Recorder.requesting(1));
            return (Subscriber<Datagram>) captured.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a send", e);
        }
    }

    @Override
    public Datagram createElement(int element) {
        return Datagram.to(sink.localAddress(), ByteBuffer.wrap(("element " + element).getBytes(StandardCharsets.US_ASCII)));
    }
}

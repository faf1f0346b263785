package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.net.Datagram;
import dev.loopflux.core.net.DatagramTooLargeException;
import java.net.BindException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** {@link Udp} and {@link UdpConnection}: thin Flux/Mono over the core endpoint, signals on its loop. */
@Timeout(30)
class UdpTest {
    private Loop loop;

    @BeforeEach
    void start() {
        loop = Loop.create("udp-reactor");
    }

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    private static String text(Datagram d) {
        return StandardCharsets.UTF_8.decode(d.content()).toString();
    }

    @Test
    void anEchoSendsEachDatagramBackToItsSenderOnTheLoop() {
        UdpConnection echo = Udp.create().runOn(loop).bind().block(Duration.ofSeconds(10));
        UdpConnection client = Udp.create().runOn(loop).bind().block(Duration.ofSeconds(10));
        try {
            AtomicReference<Throwable> echoEnd = new AtomicReference<>();
            echo.send(echo.receive()).subscribe(null, echoEnd::set); // fails with ConnectionClosedException on dispose
            AtomicReference<Thread> signalled = new AtomicReference<>();
            Flux<Datagram> out = Flux.range(0, 5)
                    .map(i -> Datagram.to(echo.localAddress(), ByteBuffer.wrap(("ping " + i).getBytes(StandardCharsets.UTF_8))));
            Mono<List<String>> replies = client.receive()
                    .doOnNext(d -> signalled.set(Thread.currentThread()))
                    .take(5)
                    .map(UdpTest::text)
                    .collectList()
                    .cache();
            replies.subscribe();
            client.send(out).block(Duration.ofSeconds(10));
            assertThat(replies.block(Duration.ofSeconds(10))).containsExactly("ping 0", "ping 1", "ping 2", "ping 3", "ping 4");
            // take(5) cancelled the receive: it may be subscribed again, and the echo goes on
            StepVerifier.create(client.send(Flux.just(Datagram.to(echo.localAddress(), ByteBuffer.wrap("again".getBytes(StandardCharsets.UTF_8)))))
                            .then(client.receive().next().map(UdpTest::text)))
                    .expectNext("again")
                    .verifyComplete();
            assertThat(signalled.get().getName()).isEqualTo(loop.name());
        } finally {
            echo.dispose();
            client.dispose();
            echo.onDispose().block(Duration.ofSeconds(10));
            client.onDispose().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void receiveSeesWhatWasSentInOrder() {
        UdpConnection receiver = Udp.create().runOn(loop).bind().block(Duration.ofSeconds(10));
        UdpConnection sender = Udp.create().runOn(loop).bind().block(Duration.ofSeconds(10));
        try {
            Mono<List<String>> got = receiver.receive().take(3).map(UdpTest::text).collectList().cache();
            got.subscribe();
            sender.send(Flux.just("a", "b", "c")
                            .map(s -> Datagram.to(receiver.localAddress(), ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)))))
                    .block(Duration.ofSeconds(10));
            assertThat(got.block(Duration.ofSeconds(10))).containsExactly("a", "b", "c");
        } finally {
            receiver.dispose();
            sender.dispose();
        }
    }

    @Test
    void bindingAPortInUseFailsTheMonoNamingTheAddress() {
        UdpConnection first = Udp.create().runOn(loop).bind().block(Duration.ofSeconds(10));
        try {
            StepVerifier.create(Udp.create().runOn(loop).port(first.localAddress().getPort()).bind())
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(BindException.class)
                            .hasMessageContaining("127.0.0.1:" + first.localAddress().getPort()))
                    .verify(Duration.ofSeconds(10));
        } finally {
            first.dispose();
        }
    }

    @Test
    void anOversizeDatagramFailsTheSend() {
        UdpConnection c = Udp.create().runOn(loop).options(o -> o.maxDatagramSize(10)).bind().block(Duration.ofSeconds(10));
        try {
            StepVerifier.create(c.send(Mono.just(Datagram.to(c.localAddress(), ByteBuffer.allocate(11)))))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(DatagramTooLargeException.class)
                            .hasMessageContaining("11 bytes exceeds the limit of 10"))
                    .verify(Duration.ofSeconds(10));
            assertThat(c.isDisposed()).isFalse();
        } finally {
            c.dispose();
        }
        c.onDispose().block(Duration.ofSeconds(10));
        assertThat(c.isDisposed()).isTrue();
    }
}

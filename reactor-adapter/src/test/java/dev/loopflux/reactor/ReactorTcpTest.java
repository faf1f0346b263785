package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.ConnectionResetException;
import dev.loopflux.core.net.FrameTooLongException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The Flux/Mono networking API on real loopback sockets: shape, threads, framing, errors. */
@Timeout(60)
class ReactorTcpTest {
    private LoopGroup group;
    private DisposableServer server;

    @BeforeEach
    void loops() {
        group = LoopGroup.create("rtcp", 2);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.disposeNow(Duration.ofSeconds(5));
        }
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
        Schedulers.resetFactory();
    }

    private Connection connect() {
        return TcpClient.create().port(server.port()).runOn(group).connectNow();
    }

    @Test
    void echoWithTheShapeReactorUsersKnow() {
        server = TcpServer.create().port(0).runOn(group).handle((in, out) -> out.send(in.receive())).bindNow();
        Connection c = connect();
        StepVerifier.create(c.outbound().sendString(Mono.just("ping\n")).thenMany(c.inbound().receiveLines()).take(1))
                .expectNext("ping")
                .verifyComplete();
        c.dispose();
        StepVerifier.create(c.onDispose()).verifyComplete();
    }

    @Test
    void everySignalOfTheHandlerPipelineRunsOnTheConnectionsLoop() {
        // With the drop-in factory, operators that take a default scheduler keep to the loop.
        Schedulers.setFactory(LoopSchedulers.factory());
        Set<String> offLoop = ConcurrentHashMap.newKeySet();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        server = TcpServer.create().port(0).runOn(group).handle((in, out) -> {
            Loop own = Loop.current();
            java.util.function.Consumer<String> check = step -> {
                threads.add(Thread.currentThread().getName());
                if (Loop.current() != own) {
                    offLoop.add(step + " on " + Thread.currentThread().getName());
                }
            };
            Flux<String> replies = in.receiveLines()
                    .doOnNext(l -> check.accept("receive"))
                    .flatMap(l -> Mono.just(l).delayElement(Duration.ofMillis(1)).doOnNext(x -> check.accept("flatMap+delay")))
                    .concatMap(l -> Flux.just(l, l).doOnNext(x -> check.accept("concatMap")))
                    .delayElements(Duration.ofMillis(1))
                    .doOnNext(l -> check.accept("delayElements"))
                    .timeout(Duration.ofSeconds(5))
                    .doOnNext(l -> check.accept("timeout"))
                    .map(l -> l + "\n");
            return out.sendString(replies).doOnSuccess(v -> check.accept("send complete"));
        }).bindNow();

        Connection c = connect();
        List<String> got = c.outbound().sendString(Flux.just("a\n", "b\n", "c\n"))
                .then(Mono.fromRunnable(() -> c.outbound().shutdownOutput()))
                .thenMany(c.inbound().receiveLines())
                .collectList()
                .block(Duration.ofSeconds(10));
        assertThat(got).hasSize(6).containsOnly("a", "b", "c");
        assertThat(offLoop).isEmpty();
        assertThat(threads).allMatch(name -> name.startsWith("rtcp-"));
    }

    @Test
    void withoutTheFactoryTheConnectionsSchedulerKeepsOperatorsOnTheLoop() {
        Set<String> offLoop = ConcurrentHashMap.newKeySet();
        server = TcpServer.create().port(0).runOn(group).handle((in, out) -> {
            Connection self = (Connection) in;
            Loop own = self.loop();
            return out.sendString(in.receiveLines()
                    .delayElements(Duration.ofMillis(1), self.scheduler())
                    .timeout(Duration.ofSeconds(5), self.scheduler())
                    .doOnNext(l -> {
                        if (!own.inLoop()) {
                            offLoop.add(Thread.currentThread().getName());
                        }
                    })
                    .map(l -> l + "!\n"));
        }).bindNow();
        Connection c = connect();
        String reply = c.outbound().sendString(Mono.just("x\n")).thenMany(c.inbound().receiveLines()).blockFirst(Duration.ofSeconds(10));
        assertThat(reply).isEqualTo("x!");
        assertThat(offLoop).isEmpty();
        assertThat(c.scheduler()).isSameAs(c.scheduler()); // made on first use, then kept
    }

    @Test
    void lengthPrefixedFramesBothWays() {
        server = TcpServer.create().port(0).runOn(group)
                .handle((in, out) -> out.sendFrames(in.receiveFrames(2, 1024), 2))
                .bindNow();
        Connection c = connect();
        List<ByteBuffer> frames = Flux.range(0, 50).map(i -> ByteBuffer.wrap(("frame-" + i).getBytes(StandardCharsets.UTF_8))).collectList().block();
        List<String> back = c.outbound().sendFrames(Flux.fromIterable(frames), 2)
                .thenMany(c.inbound().receiveFrames(2, 1024).take(50))
                .map(b -> StandardCharsets.UTF_8.decode(b).toString())
                .collectList().block(Duration.ofSeconds(10));
        assertThat(back).hasSize(50).startsWith("frame-0").endsWith("frame-49");
    }

    @Test
    void aLineOverTheLimitFailsThePipelineWithTheLimitAndThePeerAndClosesTheConnection() throws Exception {
        java.util.concurrent.CompletableFuture<Throwable> failure = new java.util.concurrent.CompletableFuture<>();
        server = TcpServer.create().port(0).runOn(group)
                .handle((in, out) -> in.receiveLines(16).doOnError(failure::complete).then())
                .bindNow();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write("this line is longer than sixteen bytes\n".getBytes(StandardCharsets.US_ASCII));
            Throwable error = failure.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(error).isInstanceOf(FrameTooLongException.class)
                    .hasMessageContaining("limit of 16")
                    .hasMessageContaining("127.0.0.1:" + socket.getLocalPort());
            InputStream in = socket.getInputStream();
            assertThat(in.read()).isEqualTo(-1); // the server closed the connection
        }
    }

    @Test
    void aResetPeerFailsTheHandlerWithAnErrorNamingIt() throws Exception {
        java.util.concurrent.CompletableFuture<Throwable> failure = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch received = new java.util.concurrent.CountDownLatch(1);
        server = TcpServer.create().port(0).runOn(group)
                .handle((in, out) -> in.receive().doOnNext(b -> received.countDown()).doOnError(failure::complete).then())
                .bindNow();
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.getOutputStream().write(1);
        assertThat(received.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        int port = socket.getLocalPort();
        socket.setSoLinger(true, 0);
        socket.close(); // RST
        assertThat(failure.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .isInstanceOf(ConnectionResetException.class).hasMessageContaining("127.0.0.1:" + port);
    }

    @Test
    void connectRefusedAndTimeoutsAreSpecific() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        StepVerifier.create(TcpClient.create().port(closedPort).runOn(group).connect())
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectException.class)
                        .hasMessage("connection refused: 127.0.0.1:" + closedPort))
                .verify(Duration.ofSeconds(10));
        server = TcpServer.create().port(0).runOn(group).handle((in, out) -> Mono.never()).bindNow();
        Connection c = connect();
        StepVerifier.create(c.inbound().receive().timeout(Duration.ofMillis(50), c.scheduler()))
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void unixDomainSockets(@TempDir Path dir) {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("r.sock"));
        server = TcpServer.create().bindAddress(address).runOn(group).handle((in, out) -> out.send(in.receive())).bindNow();
        Connection c = TcpClient.create().remoteAddress(address).runOn(group).connectNow();
        String back = c.outbound().sendString(Mono.just("over unix\n")).thenMany(c.inbound().receiveLines()).blockFirst(Duration.ofSeconds(10));
        assertThat(back).isEqualTo("over unix");
        assertThat(server.address()).isEqualTo(address);
    }

    @Test
    void theHandlerEndingClosesTheConnection() {
        server = TcpServer.create().port(0).runOn(group).handle((in, out) -> out.sendString(Mono.just("bye\n"))).bindNow();
        Connection c = connect();
        StepVerifier.create(c.inbound().receiveLines()).expectNext("bye").verifyComplete();
    }

    @Test
    void bindFailureNamesTheAddress() throws Exception {
        server = TcpServer.create().port(0).runOn(group).bindNow();
        StepVerifier.create(TcpServer.create().port(server.port()).runOn(group).bind())
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(java.net.BindException.class)
                        .hasMessageContaining("127.0.0.1:" + server.port()))
                .verify(Duration.ofSeconds(10));
        assertThat(((InetSocketAddress) server.address()).getPort()).isEqualTo(server.port());
    }
}

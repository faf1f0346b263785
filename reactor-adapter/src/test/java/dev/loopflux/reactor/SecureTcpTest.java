package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.SelfSignedCertificate;
import dev.loopflux.core.net.TlsHandshakeException;
import dev.loopflux.core.net.TlsOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** {@code secure(...)} on the Reactor server and client: echo, ALPN, and a handshake that fails. */
@Timeout(60)
class SecureTcpTest {
    private static SelfSignedCertificate certificate;
    private static SelfSignedCertificate stranger;
    private LoopGroup group;
    private DisposableServer server;

    @BeforeAll
    static void certificates() throws Exception {
        certificate = SelfSignedCertificate.create();
        stranger = SelfSignedCertificate.create();
    }

    @BeforeEach
    void loops() {
        group = LoopGroup.create("secure", 2);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.disposeNow(Duration.ofSeconds(5));
        }
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    private TcpClient client() {
        return TcpClient.create().port(server.port()).runOn(group);
    }

    @Test
    void echoOverTlsWithTheUsualHandler() {
        server = TcpServer.create().runOn(group).secure(certificate.serverOptions().build())
                .handle((in, out) -> out.send(in.receive())).bindNow();
        Connection c = client().secure(certificate.clientOptions().build()).connectNow();
        assertThat(c.tlsSession()).isNotNull();
        assertThat(c.tlsSession().getProtocol()).isEqualTo("TLSv1.3");
        Flux<String> lines = Flux.range(0, 2000).map(i -> "line " + i);
        StepVerifier.create(c.outbound().sendString(lines.map(l -> l + "\n"))
                        .thenMany(c.inbound().receiveLines().take(2000)).collectList())
                .assertNext(got -> assertThat(got).containsExactlyElementsOf(lines.collectList().block()))
                .verifyComplete();
        c.dispose();
        StepVerifier.create(c.onDispose()).verifyComplete();
    }

    @Test
    void alpnIsAgreedAndTheHandlerCanRouteOnItAfterTheHandshake() {
        Set<String> seenByServer = ConcurrentHashMap.newKeySet();
        server = TcpServer.create().runOn(group)
                .secure(certificate.serverOptions().applicationProtocols("h2", "http/1.1").build())
                .handle((in, out) -> in.connection().handshake().flatMap(session -> {
                    String protocol = in.connection().applicationProtocol();
                    seenByServer.add(protocol);
                    return out.sendString(Mono.just("you speak " + protocol + "\n")).then();
                }))
                .bindNow();
        Connection c = client().secure(certificate.clientOptions().applicationProtocols("http/1.1").build()).connectNow();
        assertThat(c.applicationProtocol()).isEqualTo("http/1.1");
        StepVerifier.create(c.inbound().receiveLines().next()).expectNext("you speak http/1.1").verifyComplete();
        assertThat(seenByServer).containsExactly("http/1.1");
    }

    @Test
    void anUntrustedCertificateFailsTheConnectAndTheServerGoesOn() {
        AtomicReference<Throwable> serverSide = new AtomicReference<>();
        server = TcpServer.create().runOn(group).secure(certificate.serverOptions().build())
                .handle((in, out) -> out.send(in.receive()).doOnError(serverSide::set))
                .bindNow();
        StepVerifier.create(client().secure(stranger.clientOptions().build()).connect())
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(TlsHandshakeException.class)
                            .hasMessageContaining("127.0.0.1:" + server.port())
                            .hasMessageContaining("not trusted");
                    assertThat(e.getCause()).isInstanceOf(javax.net.ssl.SSLException.class);
                })
                .verify(Duration.ofSeconds(20));
        // the server goes on: a client that trusts it echoes
        Connection c = client().secure(certificate.clientOptions().build()).connectNow();
        StepVerifier.create(c.outbound().send(Mono.just(ByteBuffer.wrap(new byte[] {1, 2, 3})))
                        .thenMany(c.inbound().receive()).next().map(ByteBuffer::remaining))
                .expectNext(3)
                .verifyComplete();
    }

    @Test
    void optionsOfTheWrongSideAreRefused() {
        TlsOptions clientSide = certificate.clientOptions().build();
        TlsOptions serverSide = certificate.serverOptions().build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TcpServer.create().secure(clientSide))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("server TLS options");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TcpClient.create().secure(serverSide))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client TLS options");
    }
}

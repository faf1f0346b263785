package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.TlsTestPeers.ByteSink;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS options seen from both ends of real connections on 127.0.0.1: ALPN, SNI, client
 * authentication, forced protocol versions; then {@code sendFile} through TLS and many
 * connections at once.
 */
@Timeout(60)
class TlsFeaturesTest {
    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private LoopGroup group;
    private TcpServer server;
    private Net.EchoHandler echo;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        if (server != null) {
            await(server.close());
        }
        if (group != null) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
    }

    /** The keys and certificates (several keytool runs) are made once, before any test's clock starts. */
    @BeforeAll
    static void makeIdentities() {
        TlsFixtures.server();
        TlsFixtures.client();
        TlsFixtures.untrusted();
    }

    private void startEchoServer(TlsOptions tls) throws Exception {
        group = LoopGroup.create("tls-features", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().tls(tls).build());
        echo = Net.EchoHandler.serve(server);
    }

    private static TcpOptions client(TlsOptions tls) {
        return TcpOptions.builder().tls(tls).build();
    }

    /** Both ends of a connection whose handshake is done on both sides. */
    private record Ends(Connection client, Net.Served served) {
        Connection server() {
            return served.connection();
        }
    }

    /**
     * Connects to the echo server and gets a ping echoed: once the echo is back the server's
     * handshake is done too (with TLS 1.3 the client finishes first).
     */
    private Ends connectAndPing(InetSocketAddress address, TlsOptions tls) throws Exception {
        Connection connection = Probe.single(TcpClient.connect(group.next(), address, client(tls)));
        cleanup.add(connection::close);
        ByteSink in = ByteSink.of(connection.inbound());
        Probe.of(connection.send(Probe.publisherOf(ByteBuffer.wrap(PING.clone())))).awaitComplete();
        assertThat(in.awaitBytes(PING.length)).isEqualTo(PING);
        return new Ends(connection, echo.next());
    }

    private Ends connectAndPing(TlsOptions tls) throws Exception {
        return connectAndPing((InetSocketAddress) server.localAddress(), tls);
    }

    /** Connects and reads; the error of the connect or, if it connected, of the first read. */
    private Throwable connectThenReadFails(TlsOptions tls) throws Exception {
        Probe<Connection> connect = Probe.of(TcpClient.connect(group.next(), server.localAddress(), client(tls)));
        try {
            connect.awaitComplete();
        } catch (ExecutionException e) {
            return e.getCause();
        }
        Connection connection = connect.items.get(0);
        cleanup.add(connection::close);
        Throwable error = ByteSink.of(connection.inbound()).awaitError();
        await(connection.onClose());
        return error;
    }

    // ---- session resumption ----------------------------------------------------------------------

    /**
     * A client's engines are made for the server's host and port, so a second connection with the
     * same options (the same {@code SSLContext} and its session cache) resumes the first's session:
     * with TLS 1.2, the same session id on both sides, and no certificate check the second time.
     * New options, a new context and an empty cache, make a full handshake: a new id.
     */
    @Test
    void aSecondConnectionWithTheSameOptionsResumesTheSession() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().protocols("TLSv1.2").build());
        TlsOptions clientTls = TlsFixtures.clientOptions().protocols("TLSv1.2").build();
        Ends first = connectAndPing(clientTls);
        Ends second = connectAndPing(clientTls);
        Ends fresh = connectAndPing(TlsFixtures.clientOptions().protocols("TLSv1.2").build());

        byte[] firstId = first.client().tlsSession().getId();
        assertThat(firstId).isNotEmpty();
        assertThat(second.client().tlsSession().getId()).as("the resumed session").isEqualTo(firstId);
        assertThat(second.server().tlsSession().getId()).isEqualTo(firstId);
        assertThat(fresh.client().tlsSession().getId()).as("a full handshake").isNotEqualTo(firstId);
    }

    // ---- ALPN ----------------------------------------------------------------------------------

    @Test
    void alpnAgreesOnTheProtocolBothSidesHave() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().applicationProtocols("h2", "http/1.1").build());
        Ends ends = connectAndPing(TlsFixtures.clientOptions().applicationProtocols("http/1.1").build());
        assertThat(ends.client().applicationProtocol()).isEqualTo("http/1.1");
        assertThat(ends.server().applicationProtocol()).isEqualTo("http/1.1");
    }

    @Test
    void alpnPicksTheServersPreferenceAmongWhatTheClientOffers() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().applicationProtocols("h2", "http/1.1").build());
        Ends ends = connectAndPing(TlsFixtures.clientOptions().applicationProtocols("http/1.1", "h2").build());
        assertThat(ends.client().applicationProtocol()).isEqualTo("h2");
        assertThat(ends.server().applicationProtocol()).isEqualTo("h2");
    }

    @Test
    void alpnWithNothingInCommonFailsTheHandshakeOnBothSides() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().applicationProtocols("h2").build());
        Throwable error = Probe.error(TcpClient.connect(group.next(), server.localAddress(),
                client(TlsFixtures.clientOptions().applicationProtocols("http/1.1").build())));
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + server.port())
                .hasMessageContaining("no_application_protocol");
        assertThat(error.getCause()).isInstanceOf(javax.net.ssl.SSLException.class);

        Net.Served served = echo.next();
        assertThat(served.echo().awaitError()).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:")
                .hasMessageContaining("application");
        assertThat(awaitFailure(served.tap().terminal)).isInstanceOf(TlsHandshakeException.class);
        await(served.connection().onClose());
        assertThat(served.connection().applicationProtocol()).isNull();
    }

    @Test
    void alpnIsNullOnBothSidesWhenOnlyOneSideUsesIt() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        Ends offeredButIgnored = connectAndPing(TlsFixtures.clientOptions().applicationProtocols("h2", "http/1.1").build());
        assertThat(offeredButIgnored.client().applicationProtocol()).isNull();
        assertThat(offeredButIgnored.server().applicationProtocol()).isNull();
        assertThat(offeredButIgnored.client().tlsSession()).isNotNull();
    }

    // ---- SNI -----------------------------------------------------------------------------------

    @Test
    void serverNameIsSentWithSniAndTheServerSeesIt() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        Ends ends = connectAndPing(TlsFixtures.clientOptions().serverName("localhost").build());
        assertThat(((ExtendedSSLSession) ends.server().tlsSession()).getRequestedServerNames())
                .containsExactly(new SNIHostName("localhost"));
        assertThat(ends.client().tlsSession().getPeerHost()).isEqualTo("localhost");
    }

    @Test
    void theHostNameOfTheAddressIsTheSniNameWhenNoneIsGiven() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        InetSocketAddress byName = new InetSocketAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}), server.port());
        Ends ends = connectAndPing(byName, TlsFixtures.clientOptions().build());
        assertThat(((ExtendedSSLSession) ends.server().tlsSession()).getRequestedServerNames())
                .containsExactly(new SNIHostName("localhost"));
    }

    @Test
    void anIpAddressIsNeverSentAsSni() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        Ends ends = connectAndPing(TlsFixtures.clientOptions().build());
        assertThat(((ExtendedSSLSession) ends.server().tlsSession()).getRequestedServerNames()).isEmpty();
    }

    // ---- client authentication -----------------------------------------------------------------

    /** A server that trusts the test CA for client certificates (by default a server trusts what the JDK trusts). */
    private static TlsOptions.Builder serverTrustingTheCa() {
        return TlsFixtures.serverOptions().trust(TlsFixtures.ca().certificate());
    }

    private static TlsOptions.Builder clientWithCertificate() {
        TlsFixtures.Identity me = TlsFixtures.client();
        return TlsFixtures.clientOptions().keyMaterial(me.key(), me.chain());
    }

    @Test
    void clientAuthNoneDoesNotAskForTheClientsCertificate() throws Exception {
        startEchoServer(serverTrustingTheCa().clientAuth(TlsOptions.ClientAuth.NONE).build());
        Ends ends = connectAndPing(clientWithCertificate().build());
        assertThatThrownBy(() -> ends.server().tlsSession().getPeerCertificates()).isInstanceOf(SSLPeerUnverifiedException.class);
        assertThat(ends.client().tlsSession().getLocalCertificates()).isNull();
    }

    @Test
    void clientAuthOptionalTakesACertificateWhenTheClientHasOne() throws Exception {
        startEchoServer(serverTrustingTheCa().clientAuth(TlsOptions.ClientAuth.OPTIONAL).build());
        Ends ends = connectAndPing(clientWithCertificate().build());
        assertThat(ends.server().tlsSession().getPeerPrincipal().getName()).isEqualTo("CN=test client");
        assertThat(ends.client().tlsSession().getLocalPrincipal().getName()).isEqualTo("CN=test client");
    }

    @Test
    void clientAuthOptionalServesAClientWithoutACertificate() throws Exception {
        startEchoServer(serverTrustingTheCa().clientAuth(TlsOptions.ClientAuth.OPTIONAL).build());
        Ends ends = connectAndPing(TlsFixtures.clientOptions().build());
        assertThatThrownBy(() -> ends.server().tlsSession().getPeerPrincipal()).isInstanceOf(SSLPeerUnverifiedException.class);
    }

    @Test
    void clientAuthOptionalRefusesACertificateItDoesNotTrust() throws Exception {
        startEchoServer(serverTrustingTheCa().clientAuth(TlsOptions.ClientAuth.OPTIONAL).build());
        // The JDK's key managers only offer a certificate from an issuer the server names; this
        // client presents its self-signed one anyway.
        TlsOptions stranger = TlsOptions.client(alwaysPresenting(TlsFixtures.untrusted())).build();
        Throwable error = connectThenReadFails(stranger);
        assertThat(error).isInstanceOf(TlsHandshakeException.class).hasMessageContaining("127.0.0.1:" + server.port());
        Net.Served served = echo.next();
        assertThat(awaitFailure(served.tap().terminal)).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:")
                .hasMessageContaining("not trusted");
        await(served.connection().onClose());
    }

    /** A client context that trusts the test CA and presents {@code identity} whatever issuers the server names. */
    private static SSLContext alwaysPresenting(TlsFixtures.Identity identity) throws Exception {
        X509ExtendedKeyManager keys = new X509ExtendedKeyManager() {
            @Override
            public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                return "me";
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, java.net.Socket socket) {
                return "me";
            }

            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return new String[] {"me"};
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return identity.chain();
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return identity.key();
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, java.net.Socket socket) {
                return null;
            }
        };
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", TlsFixtures.ca().certificate());
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {keys}, trustManagers.getTrustManagers(), null);
        return context;
    }

    @Test
    void clientAuthRequireSeesTheClientsCertificate() throws Exception {
        startEchoServer(serverTrustingTheCa().clientAuth(TlsOptions.ClientAuth.REQUIRE).build());
        Ends ends = connectAndPing(clientWithCertificate().build());
        assertThat(ends.server().tlsSession().getPeerPrincipal().getName()).isEqualTo("CN=test client");
        assertThat(ends.server().tlsSession().getPeerCertificates()[0]).isEqualTo(TlsFixtures.client().certificate());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void clientAuthRequireFailsAClientWithoutACertificateOnBothSidesAndServesTheNextOne(String protocol) throws Exception {
        startEchoServer(serverTrustingTheCa().clientAuth(TlsOptions.ClientAuth.REQUIRE).build());
        // TLS 1.2: the client waits for the server's Finished, so its connect fails. TLS 1.3: the
        // client is done first, and the server's refusal is an alert on its first read.
        Throwable error = connectThenReadFails(TlsFixtures.clientOptions().protocols(protocol).build());
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + server.port());
        assertThat(error.getCause()).isInstanceOf(javax.net.ssl.SSLException.class);

        Net.Served refused = echo.next();
        Throwable serverError = awaitFailure(refused.tap().terminal);
        assertThat(serverError).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:")
                .hasMessageContaining("no certificate was presented");
        assertThat(refused.echo().awaitError()).isInstanceOf(TlsHandshakeException.class);
        await(refused.connection().onClose());

        Ends next = connectAndPing(clientWithCertificate().protocols(protocol).build());
        assertThat(next.server().tlsSession().getPeerPrincipal().getName()).isEqualTo("CN=test client");
    }

    @Test
    void aServerThatRefusesTheHandshakeWhileTheClientIsStillWritingIsReportedByItsAlertNotByTheBrokenPipe() throws Exception {
        group = LoopGroup.create("tls-features", 2);
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            listener.setSoTimeout(10_000);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", listener.getLocalPort());
            Probe<Connection> connect = Probe.of(TcpClient.connect(group.next(), address,
                    client(TlsFixtures.clientOptions().protocols("TLSv1.2").build())));
            SSLEngine engine = TlsFixtures.jdkContext(TlsFixtures.server()).createSSLEngine();
            engine.setUseClientMode(false);
            engine.setEnabledProtocols(new String[] {"TLSv1.2"});
            // The server's first flight, then at once a fatal handshake_failure alert (a TLS 1.2
            // plaintext record), then the socket closes: the client's own flight (several writes)
            // meets a closed socket, and fails with a broken pipe unless it reads the alert.
            try (TlsTestPeers.EnginePeer peer = new TlsTestPeers.EnginePeer(engine, listener.accept())) {
                peer.firstFlightThenClose(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40});
            }
            Throwable error = awaitFailure(connect.done);
            assertThat(error).isInstanceOf(TlsHandshakeException.class)
                    .hasMessageContaining("127.0.0.1:" + address.getPort())
                    .hasMessageContaining("handshake_failure");
        }
    }

    // ---- protocol versions ---------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void aVersionForcedByTheClientIsTheOneNegotiated(String protocol) throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build()); // both versions
        Ends ends = connectAndPing(TlsFixtures.clientOptions().protocols(protocol).build());
        assertThat(ends.client().tlsSession().getProtocol()).isEqualTo(protocol);
        assertThat(ends.server().tlsSession().getProtocol()).isEqualTo(protocol);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void aVersionForcedByTheServerIsTheOneNegotiated(String protocol) throws Exception {
        startEchoServer(TlsFixtures.serverOptions().protocols(protocol).build());
        Ends ends = connectAndPing(TlsFixtures.clientOptions().build()); // both versions
        assertThat(ends.client().tlsSession().getProtocol()).isEqualTo(protocol);
        assertThat(ends.server().tlsSession().getProtocol()).isEqualTo(protocol);
    }

    @Test
    void noVersionInCommonFailsTheHandshakeOnBothSides() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().protocols("TLSv1.3").build());
        Throwable error = Probe.error(TcpClient.connect(group.next(), server.localAddress(),
                client(TlsFixtures.clientOptions().protocols("TLSv1.2").build())));
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + server.port())
                .hasMessageContaining("protocol_version");
        Throwable serverError = awaitFailure(echo.next().tap().terminal);
        assertThat(serverError).isInstanceOf(TlsHandshakeException.class).hasMessageContaining("127.0.0.1:")
                .hasMessageContaining("no TLS version in common");
        assertThat(serverError.getCause()).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }

    // ---- application data right behind the handshake ------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void dataInTheSameSegmentAsTheClientsLastHandshakeFlightIsDeliveredToTheServer(String protocol) throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        SSLEngine engine = TlsFixtures.jdkContext(null).createSSLEngine("127.0.0.1", server.port());
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[] {protocol});
        byte[] data = Net.random(3000, 51);
        try (TlsTestPeers.EnginePeer peer = new TlsTestPeers.EnginePeer(engine, new java.net.Socket("127.0.0.1", server.port()))) {
            peer.handshakeThenSend(data); // with TLS 1.3: the client's Finished and the data in one write
            assertThat(peer.read(data.length)).isEqualTo(data);
            assertThat(engine.getSession().getProtocol()).isEqualTo(protocol);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void dataInTheSameSegmentAsTheServersLastHandshakeFlightReachesAClientThatSubscribesInOnNext(String protocol) throws Exception {
        group = LoopGroup.create("tls-features", 2);
        byte[] greeting = Net.random(2000, 52);
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            listener.setSoTimeout(10_000);
            CompletableFuture<ByteSink> inbound = new CompletableFuture<>();
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", listener.getLocalPort());
            TcpClient.connect(group.next(), address, client(TlsFixtures.clientOptions().protocols(protocol).build()))
                    .subscribe(new org.reactivestreams.Subscriber<>() {
                        @Override
                        public void onSubscribe(org.reactivestreams.Subscription s) {
                            s.request(1);
                        }

                        @Override
                        public void onNext(Connection connection) {
                            cleanup.add(connection::close);
                            inbound.complete(ByteSink.of(connection.inbound())); // on the loop, as the handshake ends
                        }

                        @Override
                        public void onError(Throwable t) {
                            inbound.completeExceptionally(t);
                        }

                        @Override
                        public void onComplete() {
                        }
                    });
            SSLEngine engine = TlsFixtures.jdkContext(TlsFixtures.server()).createSSLEngine();
            engine.setUseClientMode(false);
            engine.setEnabledProtocols(new String[] {protocol});
            try (TlsTestPeers.EnginePeer peer = new TlsTestPeers.EnginePeer(engine, listener.accept())) {
                peer.handshakeThenSend(greeting); // with TLS 1.2: the server's Finished and the greeting in one write
                assertThat(inbound.get(15, TimeUnit.SECONDS).awaitBytes(greeting.length)).isEqualTo(greeting);
            }
        }
    }

    // ---- sendFile ------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void sendFileGoesThroughTlsInOrderWithTheBuffersAroundIt(String protocol) throws Exception {
        byte[] content = Net.random(3 << 20, 41);
        Path file = Files.write(tmp.resolve("payload.bin"), content);
        byte[] head = "head of the stream\n".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\ntail of the stream".getBytes(StandardCharsets.US_ASCII);
        long position = 12_345;
        long count = (1 << 20) + 7;

        group = LoopGroup.create("tls-features", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().tls(TlsFixtures.serverOptions().build()).build());
        CompletableFuture<List<Recorder<Void>>> sends = new CompletableFuture<>();
        server.connections().subscribe(new org.reactivestreams.Subscriber<>() {
            @Override
            public void onSubscribe(org.reactivestreams.Subscription s) {
                s.request(1);
            }

            @Override
            public void onNext(Connection connection) {
                // all queued at accept, before the handshake: they wait for it, then go in order
                sends.complete(List.of(
                        Recorder.subscribe(connection.send(Probe.publisherOf(ByteBuffer.wrap(head))), 1),
                        Recorder.subscribe(connection.sendFile(file), 1),
                        Recorder.subscribe(connection.sendFile(file, position, count), 1),
                        Recorder.subscribe(connection.send(Probe.publisherOf(ByteBuffer.wrap(tail))), 1)));
                connection.shutdownOutput(); // close_notify after them
            }

            @Override
            public void onError(Throwable t) {
                sends.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
            }
        });

        byte[] received;
        try (SSLSocket socket = (SSLSocket) TlsFixtures.jdkContext(null).getSocketFactory().createSocket()) {
            socket.setEnabledProtocols(new String[] {protocol});
            socket.connect(server.localAddress(), 10_000);
            socket.setSoTimeout(15_000);
            received = socket.getInputStream().readAllBytes(); // to close_notify: a truncated stream would throw
            assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
        }
        for (Recorder<Void> send : sends.get(10, TimeUnit.SECONDS)) {
            send.awaitComplete();
        }
        byte[] expected = concat(head, content, java.util.Arrays.copyOfRange(content, (int) position, (int) (position + count)), tail);
        assertThat(received.length).isEqualTo(expected.length);
        assertThat(Net.crc(received)).isEqualTo(Net.crc(expected));
        assertThat(received).isEqualTo(expected);
    }

    // ---- many connections ----------------------------------------------------------------------

    @Test
    void fiftyOfOurClientsAtOnceEachGetTheirOwnBytesBack() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        int clients = 50;
        TcpOptions options = client(TlsFixtures.clientOptions().build());
        List<byte[]> data = new ArrayList<>();
        List<CompletableFuture<byte[]>> echoes = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            data.add(Net.random(64 * 1024, 100 + i));
        }
        for (int i = 0; i < clients; i++) {
            echoes.add(Net.echoOnce(group.next(), server.localAddress(), options, data.get(i)));
        }
        CompletableFuture.allOf(echoes.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < clients; i++) {
            assertThat(echoes.get(i).get()).as("echo of client %d", i).isEqualTo(data.get(i));
        }
        assertThat(server.acceptedConnections()).isEqualTo(clients);
        for (int i = 0; i < clients; i++) {
            Net.Served served = echo.next();
            served.echo().awaitComplete();
            assertThat(served.tap().bytes.get()).isEqualTo(64 * 1024);
            assertThat(served.connection().tlsSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    private static Throwable awaitFailure(CompletableFuture<?> future) throws Exception {
        try {
            future.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, it completed");
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

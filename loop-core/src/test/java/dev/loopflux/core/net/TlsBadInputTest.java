package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static dev.loopflux.core.net.TlsTesting.async;
import static dev.loopflux.core.net.TlsTesting.awaitFailure;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Peers that break TLS: plain text on the TLS port, a record cut short, a stream truncated
 * without {@code close_notify}, certificates that are not trusted, expired or for another host,
 * silence during the handshake, a TLS 1.2 renegotiation, a reset mid-stream. Each failure is an
 * {@code onError} whose message names the peer and says what went wrong, with the engine's
 * {@link SSLException} as the cause where the engine raised one; the connection closes; and a
 * bystander connection, opened before on the same server (or, for a client's failure, on the
 * same loop), keeps echoing after it.
 */
@Timeout(60)
class TlsBadInputTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<TcpServer> servers = new ArrayList<>();
    private LoopGroup group;

    /**
     * The identities are made up front (keytool, a few seconds), and one handshake warms the JDK's
     * TLS code up, so that the short handshake timeouts below do not catch a cold first handshake.
     */
    @BeforeAll
    static void makeIdentitiesAndWarmUp() throws Exception {
        TlsFixtures.server();
        TlsFixtures.untrusted();
        TlsFixtures.expired();
        TlsFixtures.wrongHost();
        LoopGroup warm = LoopGroup.create("tls-warm-up", 1);
        try {
            TcpServer server = TcpServer.bind(warm, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().tls(TlsFixtures.serverOptions().build()).build());
            Net.EchoHandler.serve(server);
            byte[] data = Net.random(1000, 1);
            TcpOptions client = TcpOptions.builder().tls(TlsFixtures.clientOptions().build()).build();
            assertThat(Net.echoOnce(warm.next(), server.localAddress(), client, data).get(20, SECONDS)).isEqualTo(data);
            await(server.close());
        } finally {
            warm.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, SECONDS);
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        for (TcpServer server : servers) {
            await(server.close());
        }
        if (group != null) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, SECONDS);
        }
    }

    private LoopGroup group() {
        if (group == null) {
            group = LoopGroup.create("tls-bad-input", 2);
        }
        return group;
    }

    private TcpServer bind(TlsOptions tls) throws IOException {
        TcpServer server = TcpServer.bind(group(), Net.LOCALHOST_ANY_PORT, TcpOptions.builder().tls(tls).build());
        servers.add(server);
        return server;
    }

    private static TcpOptions client(TlsOptions tls) {
        return TcpOptions.builder().tls(tls).build();
    }

    private static TcpOptions trustingClient() {
        return client(TlsFixtures.clientOptions().build());
    }

    private Socket plainSocket(SocketAddress address) throws IOException {
        Socket socket = TlsPeer.connect(address, 0, 0);
        cleanup.add(socket);
        return socket;
    }

    private TlsPeer tlsPeer(TcpServer server) throws IOException {
        return TlsPeer.client(plainSocket(server.localAddress()), TlsFixtures.jdkContext(null), () -> 16 * 1024);
    }

    /** The server goes on: the bystander still echoes, and it is the only connection left open. */
    private static void assertTheServerGoesOn(TcpServer server, Bystander bystander, long seed) throws Exception {
        bystander.echoes(Net.random(20_000, seed));
        assertThat(server.openConnections()).isEqualTo(1);
    }

    private static String peerOf(Socket socket) {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    // ---- the server's side ---------------------------------------------------------------------

    @Test
    void plainTextOnTheTlsPortFailsTheConnectionSayingThePeerDidNotSpeakTls() throws Exception {
        TcpServer server = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        Socket plain = plainSocket(server.localAddress());
        Net.Served served = echo.next();
        plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(US_ASCII));

        Throwable error = inboundError(served);
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining(peerOf(plain))
                .hasMessageContaining("did not speak TLS")
                .hasCauseInstanceOf(SSLException.class);
        await(served.connection().onClose());
        // what the plain-text client gets back is a TLS alert at most, then the end of the stream
        byte[] answer = readUntilClosed(plain);
        assertThat(answer.length == 0 || answer[0] == 0x15).as("a TLS alert record, not %s", Arrays.toString(answer)).isTrue();

        assertTheServerGoesOn(server, bystander, 2);
    }

    @Test
    void aRecordCutShortByTheEndOfTheStreamFailsTheInboundSayingSo() throws Exception {
        TcpServer server = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        TlsPeer peer = tlsPeer(server);
        peer.handshake(false);
        Net.Served served = echo.next();
        byte[] first = Net.random(3000, 3);
        peer.writeRaw(peer.records(first));
        assertThat(peer.readExactly(first.length)).isEqualTo(first); // mid-stream, all well so far
        byte[] record = peer.records(Net.random(1000, 4));
        int half = record.length / 2;
        peer.writeRaw(Arrays.copyOf(record, half));
        peer.socket.shutdownOutput(); // FIN in the middle of the record

        Throwable error = inboundError(served);
        assertThat(error).isInstanceOf(TlsException.class).isNotInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining(peerOf(peer.socket))
                .hasMessageContaining("cut short")
                .hasMessageContaining("(" + half + " bytes of it came)");
        assertThat(served.tap().bytes.get()).as("nothing of the cut record is delivered").isEqualTo(first.length);
        await(served.connection().onClose());

        assertTheServerGoesOn(server, bystander, 5);
    }

    @Test
    void theEndOfTheStreamWithoutCloseNotifyFailsTheInboundAsTruncated() throws Exception {
        TcpServer server = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        TlsPeer peer = tlsPeer(server);
        peer.handshake(false);
        Net.Served served = echo.next();
        byte[] first = Net.random(3000, 6);
        peer.writeRaw(peer.records(first));
        assertThat(peer.readExactly(first.length)).isEqualTo(first);
        peer.socket.shutdownOutput(); // FIN between records, no close_notify

        Throwable error = inboundError(served);
        assertThat(error).isInstanceOf(TlsException.class).isNotInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining(peerOf(peer.socket))
                .hasMessageContaining("truncated")
                .hasCauseInstanceOf(SSLException.class);
        assertThat(served.tap().bytes.get()).isEqualTo(first.length);
        await(served.connection().onClose());

        assertTheServerGoesOn(server, bystander, 7);
    }

    /**
     * With truncation allowed, the end of the stream completes the inbound, and the connection
     * is then half-closed, not failed: the echo of everything goes on being written after the FIN
     * (through small buffers, so most of it is still to be written when the FIN is read), then
     * {@code close_notify}.
     */
    @Test
    void theEndOfTheStreamWithoutCloseNotifyCompletesTheInboundWhenTruncationIsAllowed() throws Exception {
        TcpServer server = TcpServer.bind(group(), Net.LOCALHOST_ANY_PORT, TcpOptions.builder().sendBufferSize(4096)
                .tls(TlsFixtures.serverOptions().allowTruncation(true).build()).build());
        servers.add(server);
        Net.EchoHandler echo = Net.EchoHandler.serve(server);

        Socket socket = TlsPeer.connect(server.localAddress(), 4096, 0);
        cleanup.add(socket);
        TlsPeer peer = TlsPeer.client(socket, TlsFixtures.jdkContext(null), () -> 16 * 1024);
        peer.handshake(false);
        Net.Served served = echo.next();
        byte[] data = Net.random(256 * 1024, 8);
        CompletableFuture<Void> writer = async("tls-peer-writer", () -> {
            peer.writeRaw(peer.records(data));
            peer.socket.shutdownOutput(); // FIN, no close_notify
        });
        byte[] echoed = peer.readToCloseNotify();
        writer.get(10, SECONDS);

        assertThat(echoed).isEqualTo(data);
        served.tap().terminal.get(10, SECONDS); // onComplete, not onError
        assertThat(served.tap().bytes.get()).isEqualTo(data.length);
        served.echo().awaitComplete();
        await(served.connection().onClose());
    }

    @Test
    void aPeerThatNeverSpeaksFailsTheServersConnectionWithAHandshakeTimeout() throws Exception {
        Duration timeout = Duration.ofMillis(300);
        TcpServer server = bind(TlsFixtures.serverOptions().handshakeTimeout(timeout).build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        long start = System.nanoTime();
        Socket silent = plainSocket(server.localAddress());
        Net.Served served = echo.next();
        Throwable error = inboundError(served);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(error).isInstanceOf(TlsHandshakeTimeoutException.class)
                .hasMessageContaining(peerOf(silent))
                .hasMessageContaining("300 ms");
        assertThat(((TlsHandshakeTimeoutException) error).timeout()).isEqualTo(timeout);
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(timeout.toMillis());
        await(served.connection().onClose());
        assertThat(silent.getInputStream().read()).as("the server closed the socket").isEqualTo(-1);

        assertTheServerGoesOn(server, bystander, 9);
    }

    /**
     * A client that sends half its ClientHello and hangs up: the server's connection fails with a
     * handshake error saying the peer closed mid-record, well before the handshake timeout.
     */
    @Test
    void aClientThatHangsUpInTheMiddleOfItsHelloFailsTheHandshakeSayingSo() throws Exception {
        TcpServer server = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        TlsPeer peer = tlsPeer(server);
        peer.engine.beginHandshake();
        byte[] hello = peer.wrapHandshake();
        assertThat(hello[0]).as("a handshake record").isEqualTo((byte) 0x16);
        Net.Served served = echo.next();
        peer.writeRaw(Arrays.copyOf(hello, hello.length / 2));
        peer.socket.shutdownOutput();

        Throwable error = inboundError(served);
        assertThat(error).isInstanceOf(TlsHandshakeException.class).isNotInstanceOf(TlsHandshakeTimeoutException.class)
                .hasMessageContaining(peerOf(peer.socket))
                .hasMessageContaining("closed the connection mid-record");
        await(served.connection().onClose());

        assertTheServerGoesOn(server, bystander, 19);
    }

    /**
     * A JDK server on TLS 1.2 exchanges data with our client, then starts a second handshake
     * (HelloRequest): our client refuses the renegotiation and fails the connection.
     */
    @Test
    void aRenegotiationStartedByTheServerIsRefusedByOurClient() throws Exception {
        javax.net.ssl.SSLServerSocket listener = (javax.net.ssl.SSLServerSocket) TlsFixtures.jdkContext(TlsFixtures.server())
                .getServerSocketFactory().createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        cleanup.add(listener);
        listener.setEnabledProtocols(new String[] {"TLSv1.2"});
        byte[] ping = "ping".getBytes(US_ASCII);
        CompletableFuture<Void> jdkServer = async("jdk-tls-server", () -> {
            try (SSLSocket socket = (SSLSocket) listener.accept()) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(ping);
                socket.getOutputStream().flush();
                byte[] pong = new byte[ping.length];
                new DataInputStream(socket.getInputStream()).readFully(pong);
                socket.startHandshake(); // HelloRequest
                try {
                    socket.getInputStream().read(); // until our client gives up on the connection
                } catch (IOException e) {
                    // expected: the client refused
                }
            }
        });
        Loop loop = group().next();
        Bystander bystander = bystanderOnAGoodServer(loop);
        Connection connection = Probe.single(TcpClient.connect(loop, listener.getLocalSocketAddress(),
                client(TlsFixtures.clientOptions().protocols("TLSv1.2").build())));
        Net.Tap in = new Net.Tap(connection.inbound());
        Recorder<ByteBuffer> inbound = Recorder.subscribe(in, Long.MAX_VALUE);
        in.whenBytes(ping.length).get(10, SECONDS);
        Recorder.subscribe(connection.send(Probe.publisherOf(ByteBuffer.wrap(ping))), 1).awaitComplete();

        Throwable error = inbound.awaitError();
        assertThat(error).isInstanceOf(TlsException.class)
                .hasMessageContaining("127.0.0.1:" + listener.getLocalPort())
                .hasMessageContaining("renegotiation");
        await(connection.onClose());
        jdkServer.get(10, SECONDS);
        bystander.echoes(Net.random(20_000, 20));
    }

    /**
     * A record whose ciphertext was altered on the way: the engine's integrity check fails, the
     * connection fails with a {@link TlsException} carrying the engine's exception, and the peer
     * is told why with an alert.
     */
    @Test
    void aTamperedRecordFailsTheConnectionAndThePeerHearsWhy() throws Exception {
        TcpServer server = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        TlsPeer peer = tlsPeer(server);
        peer.handshake(false);
        Net.Served served = echo.next();
        byte[] first = Net.random(3000, 21);
        peer.writeRaw(peer.records(first));
        assertThat(peer.readExactly(first.length)).isEqualTo(first);
        byte[] record = peer.records(Net.random(1000, 22));
        record[record.length / 2] ^= 0x40; // one bit of the ciphertext
        peer.writeRaw(record);

        Throwable error = inboundError(served);
        assertThat(error).isInstanceOf(TlsException.class).isNotInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining(peerOf(peer.socket))
                .hasMessageContaining("failed its integrity check")
                .hasCauseInstanceOf(SSLException.class);
        assertThat(served.tap().bytes.get()).isEqualTo(first.length);
        Throwable heard = catchThrowable(peer::readData);
        assertThat(heard).as("the alert the server sent").isInstanceOf(SSLException.class).hasMessageContaining("bad_record_mac");
        await(served.connection().onClose());

        assertTheServerGoesOn(server, bystander, 23);
    }

    /**
     * A JDK client forced to TLS 1.2 exchanges data, then starts a second handshake: our server
     * refuses the renegotiation and fails the connection.
     */
    @Test
    void aRenegotiationIsRefusedAndFailsTheConnection() throws Exception {
        TcpServer server = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        SSLSocket socket = (SSLSocket) TlsFixtures.jdkContext(null).getSocketFactory().createSocket();
        cleanup.add(socket);
        socket.setEnabledProtocols(new String[] {"TLSv1.2"});
        socket.connect(server.localAddress(), 10_000);
        socket.setSoTimeout(10_000);
        Net.Served served = echo.next();
        byte[] ping = "ping".getBytes(US_ASCII);
        socket.getOutputStream().write(ping);
        byte[] pong = new byte[ping.length];
        new DataInputStream(socket.getInputStream()).readFully(pong);
        assertThat(pong).isEqualTo(ping);
        assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");

        Throwable clientSide = catchThrowable(() -> {
            socket.startHandshake(); // a new ClientHello
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        });
        Throwable error = inboundError(served);
        assertThat(error).isInstanceOf(TlsException.class)
                .hasMessageContaining(peerOf(socket))
                .hasMessageContaining("renegotiation");
        await(served.connection().onClose());
        assertThat(clientSide == null || clientSide instanceof IOException)
                .as("the JDK client's renegotiation ends with the connection, not with %s", clientSide).isTrue();

        assertTheServerGoesOn(server, bystander, 10);
    }

    @Test
    void aPeerThatResetsMidStreamFailsTheConnectionNamingThePeer() throws Exception {
        TcpServer server = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Bystander bystander = Bystander.open(group().next(), server.localAddress(), trustingClient());
        echo.next();

        TlsPeer victim = tlsPeer(server);
        victim.handshake(false);
        Net.Served served = echo.next();
        byte[] data = Net.random(64 * 1024, 11);
        victim.writeRaw(victim.records(data));
        served.tap().whenBytes(data.length).get(10, SECONDS); // the server is mid-stream
        String peer = peerOf(victim.socket);
        victim.reset(); // RST, no close_notify

        Throwable error = inboundError(served);
        assertThat(error).isInstanceOfAny(ConnectionResetException.class, TlsException.class).hasMessageContaining(peer);
        await(served.connection().onClose());

        assertTheServerGoesOn(server, bystander, 12);
    }

    // ---- the client's side ---------------------------------------------------------------------

    /**
     * A server whose certificate is self-signed: our client (trusting the test CA) fails to
     * connect, saying the certificate is not trusted; the server's side hears the refusal; a
     * client that trusts that very certificate is served.
     */
    @Test
    void aCertificateTheClientDoesNotTrustFailsTheConnectSayingSo() throws Exception {
        TlsFixtures.Identity untrusted = TlsFixtures.untrusted();
        TcpServer bad = bind(TlsOptions.server(untrusted.key(), untrusted.chain()).build());
        Net.EchoHandler badEcho = Net.EchoHandler.serve(bad);
        Loop loop = group().next();
        Bystander bystander = bystanderOnAGoodServer(loop);

        Throwable error = Probe.error(TcpClient.connect(loop, bad.localAddress(), trustingClient()));
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + bad.port())
                .hasMessageContaining("not trusted")
                .hasCauseInstanceOf(SSLException.class);
        assertRefusedByTheClient(badEcho.next());

        byte[] data = Net.random(10_000, 13);
        TcpOptions trustingIt = client(TlsOptions.client().trust(untrusted.certificate()).build());
        assertThat(Net.echoOnce(loop, bad.localAddress(), trustingIt, data).get(10, SECONDS)).isEqualTo(data);
        bystander.echoes(Net.random(20_000, 14));
    }

    @Test
    void anExpiredCertificateFailsTheConnectSayingItExpired() throws Exception {
        TlsFixtures.Identity expired = TlsFixtures.expired();
        TcpServer bad = bind(TlsOptions.server(expired.key(), expired.chain()).build());
        Net.EchoHandler badEcho = Net.EchoHandler.serve(bad);
        Loop loop = group().next();
        Bystander bystander = bystanderOnAGoodServer(loop);

        Throwable error = Probe.error(TcpClient.connect(loop, bad.localAddress(), trustingClient()));
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + bad.port())
                .hasMessageContaining("expired")
                .hasCauseInstanceOf(SSLException.class);
        assertRefusedByTheClient(badEcho.next());
        bystander.echoes(Net.random(20_000, 15));
    }

    /**
     * A certificate for another host: connecting to 127.0.0.1 with host name verification fails
     * saying the name does not match; the same server is fine for a client that asks for the name
     * the certificate carries (SNI and verification against {@code elsewhere.example}).
     */
    @Test
    void aCertificateForAnotherHostFailsTheConnectSayingItDoesNotMatch() throws Exception {
        TlsFixtures.Identity wrongHost = TlsFixtures.wrongHost();
        TcpServer bad = bind(TlsOptions.server(wrongHost.key(), wrongHost.chain()).build());
        Net.EchoHandler badEcho = Net.EchoHandler.serve(bad);
        Loop loop = group().next();
        Bystander bystander = bystanderOnAGoodServer(loop);

        Throwable error = Probe.error(TcpClient.connect(loop, bad.localAddress(), trustingClient()));
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + bad.port())
                .hasMessageContaining("does not match")
                .hasMessageContaining("127.0.0.1")
                .hasCauseInstanceOf(SSLException.class);
        assertRefusedByTheClient(badEcho.next());

        byte[] data = Net.random(10_000, 16);
        TcpOptions askingForItsName = client(TlsFixtures.clientOptions().serverName("elsewhere.example").build());
        assertThat(Net.echoOnce(loop, bad.localAddress(), askingForItsName, data).get(10, SECONDS)).isEqualTo(data);
        bystander.echoes(Net.random(20_000, 17));
    }

    /**
     * A server that accepts and never answers: our client's connect fails with a handshake
     * timeout, after its ClientHello went out.
     */
    @Test
    void aServerThatNeverAnswersFailsTheConnectWithAHandshakeTimeout() throws Exception {
        Loop loop = group().next();
        Bystander bystander = bystanderOnAGoodServer(loop);
        ServerSocket mute = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        cleanup.add(mute);
        Duration timeout = Duration.ofMillis(300);
        TcpOptions options = client(TlsFixtures.clientOptions().handshakeTimeout(timeout).build());

        long start = System.nanoTime();
        Throwable error = Probe.error(TcpClient.connect(loop, mute.getLocalSocketAddress(), options));
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(error).isInstanceOf(TlsHandshakeTimeoutException.class)
                .hasMessageContaining("127.0.0.1:" + mute.getLocalPort())
                .hasMessageContaining("300 ms");
        assertThat(((TlsHandshakeTimeoutException) error).timeout()).isEqualTo(timeout);
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(timeout.toMillis());
        try (Socket accepted = mute.accept()) {
            accepted.setSoTimeout(10_000);
            InputStream in = accepted.getInputStream();
            assertThat(in.read()).as("a TLS handshake record: the ClientHello").isEqualTo(0x16);
            in.readAllBytes(); // then the client closed
        }
        bystander.echoes(Net.random(20_000, 18));
    }

    /**
     * A server that reads the ClientHello and then shuts its output down: our client's connect
     * fails with a handshake error saying the peer closed the connection.
     */
    @Test
    void aServerThatHangsUpDuringTheHandshakeFailsTheConnectSayingSo() throws Exception {
        Loop loop = group().next();
        Bystander bystander = bystanderOnAGoodServer(loop);
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        cleanup.add(listener);
        CompletableFuture<Void> hangingUp = async("hanging-up-server", () -> {
            try (Socket socket = listener.accept()) {
                socket.setSoTimeout(10_000);
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] header = new byte[5];
                in.readFully(header);
                assertThat(header[0]).as("a handshake record").isEqualTo((byte) 0x16);
                in.readFully(new byte[((header[3] & 0xff) << 8) | (header[4] & 0xff)]); // the whole ClientHello: no reset
                socket.shutdownOutput(); // FIN
                assertThat(in.read()).as("the client closed").isEqualTo(-1);
            }
        });

        Throwable error = Probe.error(TcpClient.connect(loop, listener.getLocalSocketAddress(), trustingClient()));
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + listener.getLocalPort())
                .hasMessageContaining("closed the connection");
        hangingUp.get(10, SECONDS);
        bystander.echoes(Net.random(20_000, 24));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private Bystander bystanderOnAGoodServer(Loop loop) throws Exception {
        TcpServer good = bind(TlsFixtures.serverOptions().build());
        Net.EchoHandler.serve(good);
        return Bystander.open(loop, good.localAddress(), trustingClient());
    }

    /**
     * The error of a served connection's inbound, checked to be the one its sends got too. The
     * echo's send subscribes to the inbound only once the send is active on the connection's loop:
     * when the connection failed before (plain text read at once, say), the inbound has no
     * subscriber yet, and one subscribing now is told why the connection closed.
     */
    private static Throwable inboundError(Net.Served served) throws Exception {
        Throwable sendError = served.echo().awaitError();
        Recorder<ByteBuffer> late = Recorder.subscribe(served.connection().inbound(), 1);
        Throwable lateError = late.awaitError();
        Throwable error = lateError instanceof IllegalStateException // the echo has the inbound
                ? awaitFailure(served.tap().terminal)
                : lateError;
        assertThat(sendError).as("the send's error").isSameAs(error);
        return error;
    }

    /** The server's side of a handshake the client refused: failed, saying the peer sent a fatal alert. */
    private static void assertRefusedByTheClient(Net.Served served) throws Exception {
        Throwable error = inboundError(served);
        assertThat(error).isInstanceOf(TlsHandshakeException.class).hasMessageContaining("fatal alert").hasCauseInstanceOf(SSLException.class);
        await(served.connection().onClose());
    }

    /** Reads to the end of the stream; a reset after the server's last bytes counts as the end. */
    private static byte[] readUntilClosed(Socket socket) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[1024];
        InputStream in = socket.getInputStream();
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                all.write(buffer, 0, n);
            }
        } catch (SocketException e) {
            // reset: the server closed with our bytes unread
        }
        return all.toByteArray();
    }

    /** A TLS connection of our client that echoes on demand; it must go on working while others fail. */
    private static final class Bystander implements Subscriber<ByteBuffer> {
        private final Connection connection;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final CompletableFuture<Void> terminal = new CompletableFuture<>();
        private CompletableFuture<byte[]> waiting;
        private long waitingFor;
        private long sent;

        private Bystander(Connection connection) {
            this.connection = connection;
        }

        static Bystander open(Loop loop, SocketAddress address, TcpOptions options) throws Exception {
            Bystander bystander = new Bystander(Probe.single(TcpClient.connect(loop, address, options)));
            bystander.connection.inbound().subscribe(bystander);
            bystander.echoes(Net.random(5000, 99));
            return bystander;
        }

        /** Sends {@code data} and waits for its echo. */
        void echoes(byte[] data) throws Exception {
            assertThat(connection.isOpen()).isTrue();
            CompletableFuture<byte[]> echoed;
            synchronized (this) {
                sent += data.length;
                waitingFor = sent;
                waiting = echoed = new CompletableFuture<>();
                check();
            }
            Recorder.subscribe(connection.send(Probe.publisherOf(ByteBuffer.wrap(data))), 1).awaitComplete();
            byte[] all = CompletableFuture.anyOf(echoed, terminal).thenCompose(v -> echoed).get(10, SECONDS);
            assertThat(Arrays.copyOfRange(all, all.length - data.length, all.length)).isEqualTo(data);
            assertThat(all.length).isEqualTo(sent);
        }

        private void check() {
            if (waiting != null && received.size() >= waitingFor) {
                waiting.complete(received.toByteArray());
                waiting = null;
            }
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(ByteBuffer chunk) {
            byte[] bytes = new byte[chunk.remaining()];
            chunk.get(bytes);
            received.write(bytes, 0, bytes.length);
            check();
        }

        @Override
        public synchronized void onError(Throwable t) {
            terminal.completeExceptionally(t);
            if (waiting != null) {
                waiting.completeExceptionally(t);
            }
        }

        @Override
        public synchronized void onComplete() {
            terminal.complete(null);
            if (waiting != null) {
                waiting.completeExceptionally(new AssertionError("the bystander's inbound completed"));
            }
        }
    }
}

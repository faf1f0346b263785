package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.TlsTestPeers.ByteSink;
import dev.loopflux.core.net.TlsTestPeers.JdkServer;
import dev.loopflux.core.net.TlsTestPeers.OpenSsl;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS with peers that are not ours: the JDK's {@link SSLSocket} and {@link javax.net.ssl.SSLServerSocket}
 * (on plain threads), and {@code openssl s_client} / {@code s_server} processes, in both directions
 * and with TLS 1.2 and 1.3 forced. openssl must be on the PATH: without it these tests fail, they
 * are not skipped.
 */
@Timeout(60)
class TlsInteropTest {
    private static final Pattern ACCEPT = Pattern.compile("ACCEPT [^\\r\\n]*:(\\d+)\\r?\\n");

    @TempDir
    Path tmp;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private LoopGroup group;
    private TcpServer server;

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
    }

    private LoopGroup group() {
        if (group == null) {
            group = LoopGroup.create("tls-interop", 2);
        }
        return group;
    }

    private Net.EchoHandler startEchoServer(TlsOptions tls) throws Exception {
        server = TcpServer.bind(group(), Net.LOCALHOST_ANY_PORT, TcpOptions.builder().tls(tls).build());
        return Net.EchoHandler.serve(server);
    }

    private <R> JdkServer<R> jdkServer(String protocol, TlsTestPeers.Session<R> session) throws Exception {
        JdkServer<R> jdk = new JdkServer<>(TlsFixtures.jdkContext(TlsFixtures.server()), new String[] {protocol}, session);
        cleanup.add(jdk);
        return jdk;
    }

    private OpenSsl openssl(String... args) throws Exception {
        OpenSsl process = OpenSsl.start(tmp, args);
        cleanup.add(process);
        return process;
    }

    private static TcpOptions client(TlsOptions tls) {
        return TcpOptions.builder().tls(tls).build();
    }

    // ---- the JDK's SSLSocket against our server ------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void jdkClientForcedToAVersionEchoesThroughOurServerAndItsCloseEndsOurInboundCleanly(String protocol) throws Exception {
        Net.EchoHandler echo = startEchoServer(TlsFixtures.serverOptions().build());
        byte[] data = Net.random(1 << 20, 31);
        SSLSocket socket = (SSLSocket) TlsFixtures.jdkContext(null).getSocketFactory().createSocket();
        try {
            socket.setEnabledProtocols(new String[] {protocol});
            socket.connect(server.localAddress(), 10_000);
            socket.setSoTimeout(15_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(data);
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] echoed = readExactly(socket.getInputStream(), data.length);
            writer.get(15, TimeUnit.SECONDS);
            assertThat(echoed).isEqualTo(data);
            assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
        } finally {
            socket.close(); // close_notify
        }
        Net.Served served = echo.next();
        assertThat(served.connection().tlsSession().getProtocol()).isEqualTo(protocol);
        served.tap().terminal.get(15, TimeUnit.SECONDS); // onComplete: the JDK's close_notify is a clean end, not an error
        assertThat(served.tap().bytes.get()).isEqualTo(data.length);
        served.echo().awaitComplete();
        await(served.connection().onClose());
    }

    @Test
    void jdkClientThatHalfClosesWithTls13StillReadsTheWholeEchoThenACleanEnd() throws Exception {
        Net.EchoHandler echo = startEchoServer(TlsFixtures.serverOptions().build());
        byte[] data = Net.random(512 * 1024, 32);
        try (SSLSocket socket = (SSLSocket) TlsFixtures.jdkContext(null).getSocketFactory().createSocket()) {
            socket.setEnabledProtocols(new String[] {"TLSv1.3"});
            socket.connect(server.localAddress(), 10_000);
            socket.setSoTimeout(15_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(data);
                    socket.getOutputStream().flush();
                    socket.shutdownOutput(); // close_notify, then FIN; reading goes on
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] echoed = socket.getInputStream().readAllBytes(); // to our close_notify
            writer.get(15, TimeUnit.SECONDS);
            assertThat(echoed).isEqualTo(data);
        }
        Net.Served served = echo.next();
        served.tap().terminal.get(15, TimeUnit.SECONDS);
        served.echo().awaitComplete();
        await(served.connection().onClose());
    }

    // ---- our client against the JDK's SSLServerSocket -----------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void ourClientEchoesThroughAJdkServerForcedToAVersionAndItsShutdownIsACleanEndThere(String protocol) throws Exception {
        JdkServer<Long> jdk = jdkServer(protocol, TlsTestPeers::echoUntilEnd);
        byte[] data = Net.random(1 << 20, 33);
        Connection connection = Probe.single(TcpClient.connect(group().next(), jdk.address(), client(TlsFixtures.clientOptions().build())));
        assertThat(connection.tlsSession().getProtocol()).isEqualTo(protocol);
        assertThat(connection.tlsSession().getPeerPrincipal().getName()).isEqualTo("CN=localhost");

        ByteSink in = ByteSink.of(connection.inbound());
        Probe.of(connection.send(Probe.publisherOf(ByteBuffer.wrap(data)))).awaitComplete();
        assertThat(in.awaitBytes(data.length)).isEqualTo(data);

        connection.shutdownOutput(); // close_notify: the JDK peer reads -1, not an exception
        assertThat(jdk.await()).isEqualTo(data.length);
        assertThat(in.awaitEnd()).hasSize(data.length); // and its close is our clean end
        await(connection.onClose());
    }

    @Test
    void jdkServerHalfCloseWithTls13CompletesOurInboundAndWeGoOnSending() throws Exception {
        byte[] fromJdk = Net.random(64 * 1024, 34);
        byte[] fromUs = Net.random(200 * 1024, 35);
        JdkServer<byte[]> jdk = jdkServer("TLSv1.3", socket -> {
            socket.getOutputStream().write(fromJdk);
            socket.getOutputStream().flush();
            socket.shutdownOutput(); // close_notify
            return socket.getInputStream().readAllBytes(); // what we send after it, to our close_notify
        });
        Connection connection = Probe.single(TcpClient.connect(group().next(), jdk.address(), client(TlsFixtures.clientOptions().build())));
        ByteSink in = ByteSink.of(connection.inbound());
        assertThat(in.awaitEnd()).isEqualTo(fromJdk); // onComplete, not onError
        assertThat(connection.isOpen()).isTrue();

        Probe.of(connection.send(Probe.publisherOf(ByteBuffer.wrap(fromUs)))).awaitComplete();
        connection.shutdownOutput();
        assertThat(jdk.await()).isEqualTo(fromUs);
        await(connection.onClose()); // both directions done: it closed by itself
    }

    // ---- openssl -------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_2", "-tls1_3"})
    void opensslClientEchoesThroughOurServerAndItsCloseNotifyEndsOurInboundCleanly(String version) throws Exception {
        Net.EchoHandler echo = startEchoServer(TlsFixtures.serverOptions().build());
        OpenSsl sClient = openssl("s_client", "-connect", "127.0.0.1:" + server.port(), version,
                "-quiet", "-no_ign_eof", "-nocommands", // stdout is the bytes read; end of stdin sends close_notify
                "-CAfile", TlsFixtures.ca().certificatePem().toString(), "-verify_return_error", "-verify_ip", "127.0.0.1",
                "-servername", "localhost");
        byte[] data = Net.random(256 * 1024, 36);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                sClient.input().write(data);
                sClient.input().flush();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        byte[] echoed;
        try {
            echoed = sClient.stdout.awaitBytes(data.length);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + sClient.describe(), e);
        }
        writer.get(15, TimeUnit.SECONDS);
        assertThat(echoed).isEqualTo(data);

        Net.Served served = echo.next();
        String protocol = version.equals("-tls1_2") ? "TLSv1.2" : "TLSv1.3";
        assertThat(served.connection().tlsSession().getProtocol()).isEqualTo(protocol);
        assertThat(((ExtendedSSLSession) served.connection().tlsSession()).getRequestedServerNames())
                .containsExactly(new SNIHostName("localhost"));

        sClient.closeInput(); // s_client sends close_notify
        served.tap().terminal.get(15, TimeUnit.SECONDS); // a clean end, not an error
        assertThat(served.tap().bytes.get()).isEqualTo(data.length);
        assertThat(sClient.awaitExit()).as(sClient::describe).isZero();
        assertThat(sClient.stdout.awaitEnd()).as("s_client's output is exactly the echo").isEqualTo(data);
        await(served.connection().onClose());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_2", "-tls1_3"})
    void ourClientTalksToOpensslServerWithAlpnAndEndsWithCloseNotify(String version) throws Exception {
        OpenSsl sServer = openssl("s_server", "-accept", "127.0.0.1:0", "-naccept", "1", version, "-rev",
                "-cert", TlsFixtures.server().certificatePem().toString(), "-key", TlsFixtures.server().keyPem().toString(),
                "-alpn", "http/1.1");
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", acceptPort(sServer));
        TlsOptions tls = TlsFixtures.clientOptions().applicationProtocols("h2", "http/1.1").build();
        Connection connection = Probe.single(TcpClient.connect(group().next(), address, client(tls)));
        assertThat(connection.tlsSession().getProtocol()).isEqualTo(version.equals("-tls1_2") ? "TLSv1.2" : "TLSv1.3");
        assertThat(connection.applicationProtocol()).isEqualTo("http/1.1");

        ByteSink in = ByteSink.of(connection.inbound());
        Lines lines = Lines.random(2000, 37); // s_server -rev sends each line back reversed
        Probe.of(connection.send(Probe.publisherOf(ByteBuffer.wrap(lines.sent)))).awaitComplete();
        byte[] answered;
        try {
            answered = in.awaitBytes(lines.reversed.length);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + sServer.describe(), e);
        }
        assertThat(new String(answered, StandardCharsets.US_ASCII)).isEqualTo(new String(lines.reversed, StandardCharsets.US_ASCII));

        connection.shutdownOutput(); // s_server reads the end, answers with its own close_notify
        assertThat(in.awaitEnd()).hasSize(lines.reversed.length); // onComplete
        await(connection.onClose());
        assertThat(sServer.awaitExit()).as(sServer::describe).isZero();
    }

    @Test
    void ourClientPresentsItsCertificateToAnOpensslServerThatRequiresOne() throws Exception {
        OpenSsl sServer = openssl("s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-rev",
                "-cert", TlsFixtures.server().certificatePem().toString(), "-key", TlsFixtures.server().keyPem().toString(),
                "-Verify", "2", "-verify_return_error", "-CAfile", TlsFixtures.ca().certificatePem().toString());
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", acceptPort(sServer));
        TlsFixtures.Identity me = TlsFixtures.client();
        TlsOptions tls = TlsFixtures.clientOptions().keyMaterial(me.key(), me.chain()).build();
        Connection connection = Probe.single(TcpClient.connect(group().next(), address, client(tls)));
        assertThat(connection.tlsSession().getLocalPrincipal().getName()).isEqualTo("CN=test client");

        ByteSink in = ByteSink.of(connection.inbound());
        Lines lines = Lines.random(50, 38);
        Probe.of(connection.send(Probe.publisherOf(ByteBuffer.wrap(lines.sent)))).awaitComplete();
        assertThat(in.awaitBytes(lines.reversed.length)).isEqualTo(lines.reversed); // served: openssl accepted the certificate
        connection.shutdownOutput();
        in.awaitEnd();
        assertThat(sServer.awaitExit()).as(sServer::describe).isZero();
        assertThat(sServer.stderr()).as("s_server verified our certificate").contains("depth=0 CN = test client");
    }

    @Test
    void ourClientWithoutACertificateFailsAgainstAnOpensslServerThatRequiresOne() throws Exception {
        OpenSsl sServer = openssl("s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-rev", "-tls1_3",
                "-cert", TlsFixtures.server().certificatePem().toString(), "-key", TlsFixtures.server().keyPem().toString(),
                "-Verify", "2", "-verify_return_error", "-CAfile", TlsFixtures.ca().certificatePem().toString());
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", acceptPort(sServer));
        // TLS 1.3: the client's handshake is done before the server judges its (empty) certificate,
        // so the refusal comes as an alert on the first read.
        Throwable error = connectThenRead(address, TlsFixtures.clientOptions().build());
        assertThat(error).isInstanceOf(TlsHandshakeException.class)
                .hasMessageContaining("127.0.0.1:" + address.getPort())
                .hasMessageContaining("certificate_required");
        assertThat(error.getCause()).isInstanceOf(javax.net.ssl.SSLException.class);
        sServer.awaitExit();
    }

    /** Connects and reads; returns the error of the connect or, if it connected, of the inbound. */
    private Throwable connectThenRead(InetSocketAddress address, TlsOptions tls) throws Exception {
        Probe<Connection> connect = Probe.of(TcpClient.connect(group().next(), address, client(tls)));
        try {
            connect.awaitComplete();
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
        Connection connection = connect.items.get(0);
        Throwable error = ByteSink.of(connection.inbound()).awaitError();
        await(connection.onClose());
        return error;
    }

    private static int acceptPort(OpenSsl sServer) throws Exception {
        try {
            Matcher accept = sServer.stdout.whenMatches(ACCEPT).get(15, TimeUnit.SECONDS);
            return Integer.parseInt(accept.group(1));
        } catch (Exception e) {
            throw new AssertionError("s_server did not say where it listens\n" + sServer.describe(), e);
        }
    }

    private static byte[] readExactly(InputStream in, int size) throws Exception {
        byte[] bytes = in.readNBytes(size);
        assertThat(bytes).as("bytes before end of stream").hasSize(size);
        return bytes;
    }

    /** Lines of lower-case letters and digits (never s_server's "CLOSE"), and what {@code s_server -rev} answers. */
    private record Lines(byte[] sent, byte[] reversed) {
        static Lines random(int count, long seed) {
            Random random = new Random(seed);
            String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            ByteArrayOutputStream reversed = new ByteArrayOutputStream();
            for (int i = 0; i < count; i++) {
                StringBuilder line = new StringBuilder();
                int length = 1 + random.nextInt(300);
                for (int j = 0; j < length; j++) {
                    line.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                sent.writeBytes((line + "\n").getBytes(StandardCharsets.US_ASCII));
                reversed.writeBytes((line.reverse() + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            return new Lines(sent.toByteArray(), reversed.toByteArray());
        }
    }
}

package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.LoopGroup;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** TLS echo through our server, with the JDK's {@link SSLSocket} and with our own client as peers. */
@Timeout(60)
class TlsEchoTest {
    private LoopGroup group;
    private TcpServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            await(server.close());
        }
        if (group != null) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
    }

    private Net.EchoHandler startEchoServer(TlsOptions tls) throws Exception {
        group = LoopGroup.create("tls", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().tls(tls).build());
        return Net.EchoHandler.serve(server);
    }

    @Test
    void jdkClientGetsItsBytesBackThroughOurServer() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        byte[] data = Net.random(1 << 20, 1);
        try (SSLSocket socket = (SSLSocket) TlsFixtures.jdkContext(null).getSocketFactory().createSocket()) {
            socket.connect(server.localAddress(), 10_000);
            socket.setSoTimeout(20_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(data);
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            CRC32 crc = new CRC32();
            long total = 0;
            while (total < data.length) {
                int n = in.read(buf);
                assertThat(n).isPositive();
                crc.update(buf, 0, n);
                total += n;
            }
            writer.get(20, TimeUnit.SECONDS);
            assertThat(total).isEqualTo(data.length);
            assertThat(crc.getValue()).isEqualTo(Net.crc(data));
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    /**
     * TLS over a Unix domain socket: there is no host in the address, so the client names the
     * server it expects ({@code serverName}), which is also what its certificate is checked against.
     */
    @Test
    void ourClientAndServerEchoOverAUnixDomainSocket(@TempDir Path dir) throws Exception {
        group = LoopGroup.create("tls-unix", 2);
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("tls.sock"));
        server = TcpServer.bind(group, address, TcpOptions.builder().tls(TlsFixtures.serverOptions().build()).build());
        Net.EchoHandler.serve(server);
        byte[] data = Net.random(1 << 20, 3);
        TcpOptions client = TcpOptions.builder().tls(TlsFixtures.clientOptions().serverName("localhost").build()).build();
        byte[] echoed = Net.echoOnce(group.next(), address, client, data).get(30, TimeUnit.SECONDS);
        assertThat(echoed).isEqualTo(data);
    }

    /** Without a server name there is nothing to check the certificate against: said at once, not by the handshake. */
    @Test
    void tlsToAUnixDomainSocketWithoutAServerNameIsRefusedUpFront(@TempDir Path dir) {
        group = LoopGroup.create("tls-unix", 1);
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("tls.sock"));
        TcpOptions verifying = TcpOptions.builder().tls(TlsFixtures.clientOptions().build()).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TcpClient.connect(group.next(), address, verifying))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no host name to check").hasMessageContaining("serverName(...)");
        TcpOptions notVerifying = TcpOptions.builder().tls(TlsFixtures.clientOptions().hostnameVerification(false).build()).build();
        assertThat(TcpClient.connect(group, address, notVerifying)).isNotNull();
    }

    @Test
    void ourClientAndServerEchoAndCloseWithCloseNotify() throws Exception {
        startEchoServer(TlsFixtures.serverOptions().build());
        byte[] data = Net.random(3 << 20, 2);
        TcpOptions client = TcpOptions.builder().tls(TlsFixtures.clientOptions().build()).build();
        byte[] echoed = Net.echoOnce(group.next(), server.localAddress(), client, data).get(30, TimeUnit.SECONDS);
        assertThat(echoed).isEqualTo(data);
    }
}

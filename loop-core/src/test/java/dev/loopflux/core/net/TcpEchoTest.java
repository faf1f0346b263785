package dev.loopflux.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.Publishers;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TcpEchoTest {
    private LoopGroup group;
    private TcpServer server;

    @BeforeEach
    void startEchoServer() throws Exception {
        group = LoopGroup.create("echo", 2);
        server = TcpServer.bind(group, new InetSocketAddress("127.0.0.1", 0), TcpOptions.defaults());
        Publishers.consume(server.connections(), connection ->
                Publishers.consume(connection.send(connection.inbound()), nothing -> { }).whenComplete((ok, error) -> {
                    if (error == null) {
                        connection.shutdownOutput(); // the peer finished sending: finish ours
                    } else {
                        connection.close();
                    }
                }));
    }

    @AfterEach
    void stop() throws Exception {
        server.close().toCompletableFuture().get(5, TimeUnit.SECONDS);
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void oneMebibyteEchoedIntactToABlockingClientReadingOneByteAtATime() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    Random sizes = new Random(3);
                    for (int i = 0; i < data.length; ) {
                        int n = Math.min(data.length - i, 1 + sizes.nextInt(3000));
                        out.write(data, i, n);
                        i += n;
                    }
                    socket.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            InputStream in = socket.getInputStream();
            CRC32 crc = new CRC32();
            long total = 0;
            int b;
            while ((b = in.read()) >= 0) {
                crc.update(b);
                total++;
            }
            writer.get(30, TimeUnit.SECONDS);
            CRC32 expected = new CRC32();
            expected.update(data);
            assertThat(total).isEqualTo(data.length);
            assertThat(crc.getValue()).isEqualTo(expected.getValue());
        }
    }

    @Test
    void clientConnectsSendsAndReceivesThroughThePublisherApi() throws Exception {
        Loop loop = group.next();
        Connection connection = Probe.single(TcpClient.connect(loop, server.localAddress(), TcpOptions.defaults()));
        assertThat(connection.isOpen()).isTrue();
        Probe<Void> sent = Probe.of(connection.send(Probe.publisherOf(ByteBuffer.wrap("hello".getBytes()))));
        sent.awaitComplete();
        connection.shutdownOutput();
        byte[] echoed = Probe.drain(connection.inbound());
        assertThat(new String(echoed)).isEqualTo("hello");
        connection.onClose().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void connectionRefusedNamesTheAddress() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Throwable error = Probe.error(TcpClient.connect(group.next(), new InetSocketAddress("127.0.0.1", port), TcpOptions.defaults()));
        assertThat(error).isInstanceOf(java.net.ConnectException.class).hasMessage("connection refused: 127.0.0.1:" + port);
    }
}

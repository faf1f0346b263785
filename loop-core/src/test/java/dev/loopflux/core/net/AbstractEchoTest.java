package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.LoopGroup;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The echo contract every stream transport must meet, subclassed per transport (IPv4, IPv6,
 * Unix domain): a library client and a plain JDK channel get their bytes back intact, many
 * clients at once, both sides close by themselves, and closing the server releases its address.
 */
@Timeout(30)
abstract class AbstractEchoTest {
    protected LoopGroup group;
    protected TcpServer server;
    protected Net.EchoHandler echo;

    /** Where the server binds (an ephemeral port, or a fresh socket path). */
    protected abstract SocketAddress bindAddress() throws IOException;

    /** A blocking JDK channel of this transport, not connected. */
    protected abstract SocketChannel openPlainChannel() throws IOException;

    /** Asserts that nothing listens at {@code address} any more (and, for files, that it is gone). */
    protected abstract void assertReleased(SocketAddress address) throws Exception;

    @BeforeEach
    void startEchoServer() throws Exception {
        group = LoopGroup.create("echo", 2);
        server = TcpServer.bind(group, bindAddress(), TcpOptions.defaults());
        echo = Net.EchoHandler.serve(server);
    }

    @AfterEach
    void stop() throws Exception {
        await(server.close());
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aLibraryClientGetsItsBytesBackIntactAndBothSidesCloseByThemselves() throws Exception {
        byte[] data = Net.random(256 * 1024, 1);
        byte[] echoed = Net.echoOnce(group.next(), server.localAddress(), TcpOptions.defaults(), data).get(10, TimeUnit.SECONDS);
        assertThat(echoed).isEqualTo(data);
        Net.Served served = echo.next();
        served.echo().awaitComplete();
        await(served.connection().onClose());
        assertThat(served.tap().bytes.get()).isEqualTo(data.length);
    }

    @Test
    void aPlainJdkChannelGetsItsBytesBackIntact() throws Exception {
        byte[] data = Net.random(100_000, 2);
        try (SocketChannel channel = openPlainChannel()) {
            channel.connect(server.localAddress());
            ByteBuffer out = ByteBuffer.wrap(data);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(data.length + 1);
            while (channel.read(in) >= 0 && in.position() <= data.length) {
                // read to the end
            }
            assertThat(in.flip().remaining()).isEqualTo(data.length);
            byte[] received = new byte[data.length];
            in.get(received);
            assertThat(received).isEqualTo(data);
        }
        await(echo.next().connection().onClose());
    }

    @Test
    void manyClientsAtOnceEachGetTheirOwnBytes() throws Exception {
        List<byte[]> sent = new ArrayList<>();
        List<CompletableFuture<byte[]>> echoed = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            byte[] data = Net.random(1000 + i * 997, 100 + i);
            sent.add(data);
            echoed.add(Net.echoOnce(group.next(), server.localAddress(), TcpOptions.defaults(), data));
        }
        for (int i = 0; i < sent.size(); i++) {
            assertThat(echoed.get(i).get(10, TimeUnit.SECONDS)).as("client %d", i).isEqualTo(sent.get(i));
        }
        assertThat(server.acceptedConnections()).isEqualTo(32);
    }

    @Test
    void connectionsKnowTheirAddresses() throws Exception {
        Connection client = Probe.single(TcpClient.connect(group.next(), server.localAddress(), TcpOptions.defaults()));
        Connection serverSide = echo.next().connection();
        assertThat(client.remoteAddress()).isEqualTo(server.localAddress());
        assertThat(serverSide.localAddress()).isEqualTo(server.localAddress());
        assertThat(client.toString()).contains(Peers.describe(server.localAddress()));
        client.close();
        await(serverSide.onClose());
    }

    @Test
    void closingTheServerReleasesItsAddressAndLeavesOpenConnectionsAlone() throws Exception {
        Connection client = Probe.single(TcpClient.connect(group.next(), server.localAddress(), TcpOptions.defaults()));
        Recorder<ByteBuffer> in = Recorder.subscribe(client.inbound(), Long.MAX_VALUE);
        echo.next();
        SocketAddress address = server.localAddress();
        await(server.close());
        echo.terminal.get(10, TimeUnit.SECONDS); // the connections publisher completed
        assertReleased(address);

        Recorder<Void> sent = Recorder.subscribe(client.send(Probe.publisherOf(ByteBuffer.wrap("after".getBytes()))), 1);
        sent.awaitComplete();
        client.shutdownOutput();
        in.awaitComplete();
        assertThat(new String(in.bytes())).isEqualTo("after");
        await(client.onClose());
    }
}

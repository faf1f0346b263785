package dev.loopflux.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The echo contract over TCP on {@code ::1}; skipped where the machine has no IPv6 loopback. */
@Timeout(30)
class TcpIpv6EchoTest extends AbstractEchoTest {
    private static InetAddress loopback;

    @BeforeAll
    static void requireIpv6Loopback() throws IOException {
        loopback = InetAddress.getByName("::1");
        boolean available;
        try (ServerSocket probe = new ServerSocket(0, 1, loopback)) {
            available = probe.isBound();
        } catch (IOException e) {
            available = false;
        }
        Assumptions.assumeTrue(available, "no IPv6 loopback (::1) on this machine");
    }

    @Override
    protected SocketAddress bindAddress() {
        return new InetSocketAddress(loopback, 0);
    }

    @Override
    protected SocketChannel openPlainChannel() throws IOException {
        return SocketChannel.open(StandardProtocolFamily.INET6);
    }

    @Override
    protected void assertReleased(SocketAddress address) {
        assertThatThrownBy(() -> SocketChannel.open(address).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void peersAreNamedInBrackets() throws Exception {
        assertThat(((InetSocketAddress) server.localAddress()).getAddress()).isInstanceOf(Inet6Address.class);
        // the JDK's textual form of the address (Inet6Address.getHostAddress), in brackets
        String peer = "[0:0:0:0:0:0:0:1]:" + server.port();
        assertThat(Peers.describe(server.localAddress())).isEqualTo(peer);
        int port = server.port();
        await(server.close());
        Throwable refused = Probe.error(TcpClient.connect(group.next(), new InetSocketAddress(loopback, port), TcpOptions.defaults()));
        assertThat(refused).isInstanceOf(ConnectException.class).hasMessage("connection refused: " + peer);
    }

    private static void await(java.util.concurrent.CompletionStage<?> stage) throws Exception {
        Net.await(stage);
    }
}

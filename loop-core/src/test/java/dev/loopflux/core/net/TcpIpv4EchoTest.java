package dev.loopflux.core.net;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Timeout;

/** The echo contract over TCP on 127.0.0.1. */
@Timeout(30)
class TcpIpv4EchoTest extends AbstractEchoTest {

    @Override
    protected SocketAddress bindAddress() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    @Override
    protected SocketChannel openPlainChannel() throws IOException {
        return SocketChannel.open();
    }

    @Override
    protected void assertReleased(SocketAddress address) {
        assertThatThrownBy(() -> SocketChannel.open(address).close()).isInstanceOf(ConnectException.class);
    }
}

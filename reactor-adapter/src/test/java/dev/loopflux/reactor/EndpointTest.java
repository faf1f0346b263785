package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loopflux.core.LoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Where {@link TcpServer}, {@link TcpClient} and {@link Udp} bind or connect: the rules they share. */
@Timeout(30)
class EndpointTest {
    private LoopGroup group;

    @BeforeEach
    void start() {
        group = LoopGroup.create("where", 1);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    @Test
    void everyBuilderRefusesAPortOutOfRangeAndANullHost() {
        for (int bad : new int[] {-1, 65536}) {
            assertThatThrownBy(() -> TcpServer.create().port(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("port not in [0, 65535]: " + bad);
            assertThatThrownBy(() -> TcpClient.create().port(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("port not in [0, 65535]: " + bad);
            assertThatThrownBy(() -> Udp.create().port(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("port not in [0, 65535]: " + bad);
        }
        assertThatThrownBy(() -> TcpServer.create().host(null)).isInstanceOf(NullPointerException.class).hasMessage("host");
        assertThatThrownBy(() -> Udp.create().bindAddress(null)).isInstanceOf(NullPointerException.class).hasMessage("address");
    }

    /** A host or port given after an explicit address replaces it; an address given last wins. */
    @Test
    void theLastOfAddressAndHostPortWins() {
        InetSocketAddress privileged = new InetSocketAddress("127.0.0.1", 1); // binding it would fail
        DisposableServer server = TcpServer.create().runOn(group).bindAddress(privileged).port(0).bindNow();
        try {
            int port = ((InetSocketAddress) server.address()).getPort();
            assertThat(port).isNotEqualTo(1).isPositive();
            Connection client = TcpClient.create().runOn(group).port(1).remoteAddress(server.address()).connectNow();
            assertThat(client.remoteAddress()).isEqualTo(server.address());
            client.dispose();
        } finally {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }
}

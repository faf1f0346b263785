package dev.loopflux.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The echo contract over a Unix domain socket in a temporary directory. */
@Timeout(30)
class UnixDomainEchoTest extends AbstractEchoTest {
    @TempDir
    Path dir;

    @Override
    protected SocketAddress bindAddress() {
        return UnixDomainSocketAddress.of(dir.resolve("echo.sock"));
    }

    @Override
    protected SocketChannel openPlainChannel() throws IOException {
        return SocketChannel.open(StandardProtocolFamily.UNIX);
    }

    @Override
    protected void assertReleased(SocketAddress address) {
        assertThat(((UnixDomainSocketAddress) address).getPath()).doesNotExist();
        assertThatThrownBy(() -> SocketChannel.open(address).close()).isInstanceOf(IOException.class);
    }

    @Test
    void theServerListensOnTheSocketFileAndDeletesItWhenClosed() throws Exception {
        Path file = dir.resolve("echo.sock");
        assertThat(file).exists();
        assertThat(server.localAddress()).isEqualTo(UnixDomainSocketAddress.of(file));
        assertThat(Peers.describe(server.localAddress())).isEqualTo("unix:" + file);
        Net.await(server.close());
        assertThat(file).doesNotExist();
    }

    @Test
    void connectingToAMissingSocketFileFailsNamingThePath() throws Exception {
        UnixDomainSocketAddress missing = UnixDomainSocketAddress.of(dir.resolve("missing.sock"));
        Throwable error = Probe.error(TcpClient.connect(group.next(), missing, TcpOptions.defaults()));
        assertThat(error).isInstanceOf(java.net.ConnectException.class).hasMessageContaining("unix:" + missing.getPath());
    }
}

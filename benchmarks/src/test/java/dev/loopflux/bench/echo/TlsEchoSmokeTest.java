package dev.loopflux.bench.echo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link EchoBench}'s TLS mode end to end, for each server that has it: the server JVM starts with
 * the run's key, a client handshakes (TLS 1.3, the one cipher suite, the certificate trusted), a
 * handful of messages come back byte for byte, and the load client runs briefly on a few
 * connections with every echo checked. No timing asserted: an echo that has not come back after
 * {@link #PATIENCE} fails the test as missing rather than slow.
 */
@Timeout(120)
class TlsEchoSmokeTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static EchoTls tls;

    @BeforeAll
    static void makeKey() throws IOException {
        tls = EchoTls.generate();
    }

    @ParameterizedTest
    @ValueSource(strings = {"loopflux", "reactor", "netty", "reactor-netty"})
    void echoesOverTls(String impl) throws Exception {
        EchoBench.Mode mode = new EchoBench.Mode(tls, true);
        try (EchoBench.ServerProcess server = EchoBench.ServerProcess.start(impl, mode)) {
            try (ClientChannel client = ClientChannel.open(server.port, tls.clientContext())) {
                assertThat(client.describe()).isEqualTo(EchoTls.PROTOCOL + " " + EchoTls.CIPHER);
                Random random = new Random(42);
                // The first goes out with the client's Finished (ClientChannel.Tls); then one filling a whole record, one spanning three.
                int[] sizes = {1, 64, 1000, 16384, 40000};
                for (int i = 0; i < sizes.length; i++) {
                    byte[] message = new byte[sizes[i]];
                    random.nextBytes(message);
                    assertThat(echo(client, message, i == 0, impl)).as("echo of %d bytes from %s", sizes[i], impl).isEqualTo(message);
                }
            }
            String[] row = EchoBench.load(impl, server, 4, 4, 256, Duration.ZERO, Duration.ofMillis(500), mode);
            assertThat(row[0]).isEqualTo(impl);
            assertThat(Long.parseLong(row[1].replace(",", ""))).as("msgs/s of %s", impl).isPositive();
        }
    }

    /** Sends {@code message} and reads as many bytes back; {@code first}: the first message after the handshake. */
    private static byte[] echo(ClientChannel client, byte[] message, boolean first, String impl) throws IOException {
        client.socket().configureBlocking(false);
        ByteBuffer out = ByteBuffer.wrap(message);
        ByteBuffer in = ByteBuffer.allocate(message.length);
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try (Selector selector = Selector.open()) {
            SelectionKey key = client.socket().register(selector, 0);
            while (in.hasRemaining()) {
                client.write(out);
                do {
                    if (client.read(in) < 0) {
                        throw new EOFException(impl + " closed the connection after " + in.position() + " of " + message.length + " bytes");
                    }
                } while (in.hasRemaining() && client.hasBufferedInput());
                if (!in.hasRemaining()) {
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(impl + " echoed " + in.position() + " of " + message.length + " bytes, then nothing for "
                            + PATIENCE.toSeconds() + " s" + (first ? " (the message went out in one write with the client's"
                            + " TLS Finished: the server has application data right behind the handshake in one read)" : ""));
                }
                key.interestOps(out.hasRemaining() || client.hasPendingWrites()
                        ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        } finally {
            client.socket().configureBlocking(true);
        }
        return in.array();
    }
}

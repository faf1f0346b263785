package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Thousands of connections opened, used and closed leave no descriptor, timer nor registration behind. */
@Timeout(60)
class ConnectionChurnTest {
    private static final int CONNECTIONS = 2000;
    /** Connections open at once; each is two descriptors (client and server side) in this process. */
    private static final int BATCH = 250;
    /** Descriptors the JVM may open meanwhile for itself (class files, a timer thread's pipe). */
    private static final int SLACK = 5;

    private LoopGroup group;
    private TcpServer server;
    private Net.EchoHandler echo;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(Net.openFileDescriptors() >= 0, "needs /proc/self/fd");
        group = LoopGroup.create("churn", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        echo = Net.EchoHandler.serve(server);
    }

    @AfterEach
    void stop() throws Exception {
        await(server.close());
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void twoThousandConnectionsOpenedUsedAndClosedLeaveNoDescriptorBehind() throws Exception {
        Loop[] loops = group.loops().toArray(Loop[]::new);
        churn(0, BATCH); // warm up: classes loaded, scratch buffers made, before counting
        var before = Net.fileDescriptorTargets();
        int registrationsBefore = registrations();

        for (int first = BATCH; first < BATCH + CONNECTIONS; first += BATCH) {
            churn(first, BATCH);
        }

        assertThat(server.acceptedConnections()).isEqualTo(CONNECTIONS + BATCH);
        assertThat(server.openConnections()).isZero();
        int after = Net.awaitFileDescriptorsAtMost(before.size() + SLACK, loops);
        assertThat(after).as("descriptors before %s, after %s", before, Net.fileDescriptorTargets())
                .isLessThanOrEqualTo(before.size() + SLACK);
        assertThat(registrations()).isEqualTo(registrationsBefore);
        for (Loop loop : loops) {
            assertThat(loop.metrics().pendingTimers()).as("timers of %s", loop.name()).isZero();
        }
    }

    /** Opens {@code count} client connections at once, echoes a line on each, awaits every close on both sides. */
    private void churn(int first, int count) throws Exception {
        List<CompletableFuture<byte[]>> echoes = new ArrayList<>();
        List<byte[]> lines = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            byte[] line = ("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII);
            lines.add(line);
            echoes.add(Net.echoOnce(group.next(), server.localAddress(), TcpOptions.defaults(), line));
        }
        for (int i = 0; i < count; i++) {
            assertThat(echoes.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(lines.get(i)); // includes the client's close
        }
        for (int i = 0; i < count; i++) {
            await(echo.next().connection().onClose());
        }
    }

    private int registrations() throws Exception {
        int total = 0;
        for (Loop loop : group.loops()) {
            Net.passSelect(loop);
            total += loop.metrics().registrations();
        }
        return total;
    }
}

package dev.loopflux.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.TestLoop;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Idle timeouts, deterministically: the server and the client live on one {@link TestLoop}
 * driven by the test thread; real IO moves with {@link TestLoop#runUntil}, time only with
 * {@link TestLoop#advanceTimeBy}.
 */
@Timeout(30)
class IdleTimeoutTest {
    private static final Duration SECOND = Duration.ofSeconds(1);

    private TestLoop loop;
    private TcpServer server;
    private Recorder<Connection> accepted;

    @BeforeEach
    void createLoop() {
        loop = TestLoop.create();
    }

    @AfterEach
    void closeLoop() {
        if (server != null) {
            server.close();
        }
        loop.close();
    }

    /** One connected pair on the test loop: {@code [server side, client side]}. */
    private Connection[] connect(TcpOptions serverOptions) throws Exception {
        if (server == null) {
            server = TcpServer.bind(loop, Net.LOCALHOST_ANY_PORT, serverOptions);
            accepted = Recorder.onLoop(loop, Long.MAX_VALUE);
            server.connections().subscribe(accepted);
        }
        int before = accepted.count();
        Recorder<Connection> client = Recorder.onLoop(loop, 1);
        TcpClient.connect(loop, server.localAddress(), TcpOptions.defaults()).subscribe(client);
        drive(() -> client.count() == 1 && accepted.count() == before + 1);
        return new Connection[] {accepted.items().get(before), client.items().get(0)};
    }

    private void drive(BooleanSupplier condition) {
        assertThat(loop.runUntil(condition, Duration.ofSeconds(10))).as("condition reached within 10 s of real time").isTrue();
    }

    /** Sends {@code text} and drives the loop until the whole send was taken by the kernel. */
    private void send(Connection connection, String text) {
        Recorder<Void> sent = Recorder.onLoop(loop, 1);
        connection.send(Probe.publisherOf(ByteBuffer.wrap(text.getBytes()))).subscribe(sent);
        drive(sent::isTerminated);
        assertThat(sent.terminal).isCompleted();
    }

    private static String peerOf(Connection serverSide) {
        return Peers.describe(serverSide.remoteAddress());
    }

    @Test
    void readIdleTimeoutFiresAtItsDeadlineNotBeforeAndClosesTheConnection() throws Exception {
        Connection[] pair = connect(TcpOptions.builder().readIdleTimeout(Duration.ofSeconds(30)).build());
        Connection server = pair[0];
        Recorder<ByteBuffer> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.inbound().subscribe(in);
        loop.runPending();

        loop.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(server.isOpen()).isTrue();
        assertThat(in.isTerminated()).isFalse();

        loop.advanceTimeBy(SECOND);
        assertThat(server.isOpen()).isFalse();
        assertThat(server.onClose()).isCompleted();
        Throwable error = in.awaitError();
        assertThat(error).isExactlyInstanceOf(ReadIdleTimeoutException.class)
                .hasMessage("nothing read from " + peerOf(server) + " for 30000 ms");
        assertThat(((IdleTimeoutException) error).timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(in.offLoopSignal).isNull();

        // the client sees the server's close as end of stream
        Recorder<ByteBuffer> clientIn = Recorder.onLoop(loop, Long.MAX_VALUE);
        pair[1].inbound().subscribe(clientIn);
        drive(clientIn::isTerminated);
        assertThat(clientIn.terminal).isCompleted();
    }

    @Test
    void readingRestartsTheReadIdleClock() throws Exception {
        Connection[] pair = connect(TcpOptions.builder().readIdleTimeout(Duration.ofSeconds(30)).build());
        Connection server = pair[0];
        Recorder<ByteBuffer> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.inbound().subscribe(in);

        loop.advanceTimeBy(Duration.ofSeconds(20));
        send(pair[1], "ping");
        drive(() -> in.count() > 0); // read at t = 20 s: the deadline moves to 50 s

        loop.advanceTimeBy(Duration.ofSeconds(29)); // t = 49 s
        assertThat(server.isOpen()).isTrue();
        loop.advanceTimeBy(SECOND); // t = 50 s
        assertThat(server.isOpen()).isFalse();
        assertThat(in.awaitError()).isExactlyInstanceOf(ReadIdleTimeoutException.class);
    }

    @Test
    void readIdleTimeoutDoesNotCountTimeWhileNobodyWantsToRead() throws Exception {
        Connection[] pair = connect(TcpOptions.builder().readIdleTimeout(Duration.ofSeconds(30)).build());
        Connection server = pair[0];

        loop.advanceTimeBy(Duration.ofSeconds(100)); // no inbound subscriber: reading is not wanted
        assertThat(server.isOpen()).isTrue();

        Recorder<ByteBuffer> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.inbound().subscribe(in); // reading wanted from t = 100 s
        loop.runPending();
        loop.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(server.isOpen()).isTrue();
        loop.advanceTimeBy(SECOND);
        assertThat(server.isOpen()).isFalse();
        assertThat(in.awaitError()).isExactlyInstanceOf(ReadIdleTimeoutException.class);
    }

    @Test
    void writeIdleTimeoutFiresAtItsDeadlineAndWritingRestartsItsClock() throws Exception {
        Connection[] pair = connect(TcpOptions.builder().writeIdleTimeout(Duration.ofSeconds(30)).build());
        Connection server = pair[0];
        Recorder<ByteBuffer> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.inbound().subscribe(in);

        loop.advanceTimeBy(Duration.ofSeconds(20));
        send(pair[1], "reading does not count"); // the server reads, it does not write
        drive(() -> in.count() > 0);
        send(server, "pong"); // written at t = 20 s: the deadline moves to 50 s

        loop.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(server.isOpen()).isTrue();
        loop.advanceTimeBy(SECOND);
        assertThat(server.isOpen()).isFalse();
        assertThat(in.awaitError()).isExactlyInstanceOf(WriteIdleTimeoutException.class)
                .hasMessage("nothing written to " + peerOf(server) + " for 30000 ms");
    }

    @Test
    void writeIdleTimeoutWithoutAnyWriteFiresOneTimeoutAfterConnecting() throws Exception {
        Connection[] pair = connect(TcpOptions.builder().writeIdleTimeout(Duration.ofSeconds(30)).build());
        Connection server = pair[0];
        Recorder<ByteBuffer> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.inbound().subscribe(in);
        loop.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(server.isOpen()).isTrue();
        loop.advanceTimeBy(SECOND);
        assertThat(in.awaitError()).isExactlyInstanceOf(WriteIdleTimeoutException.class);
        assertThat(server.onClose()).isCompleted();
    }

    @Test
    void idleTimeoutIsRestartedByReadingAndByWriting() throws Exception {
        Connection[] pair = connect(TcpOptions.builder().idleTimeout(Duration.ofSeconds(30)).build());
        Connection server = pair[0];
        Recorder<ByteBuffer> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.inbound().subscribe(in);

        loop.advanceTimeBy(Duration.ofSeconds(20));
        send(pair[1], "read at 20 s");
        drive(() -> in.count() > 0);
        loop.advanceTimeBy(Duration.ofSeconds(25)); // t = 45 s: a read 25 s ago
        assertThat(server.isOpen()).isTrue();
        send(server, "written at 45 s");
        loop.advanceTimeBy(Duration.ofSeconds(29)); // t = 74 s
        assertThat(server.isOpen()).isTrue();
        loop.advanceTimeBy(SECOND); // t = 75 s
        assertThat(server.isOpen()).isFalse();
        assertThat(in.awaitError()).isExactlyInstanceOf(IdleTimeoutException.class)
                .hasMessage("connection to " + peerOf(server) + " idle for 30000 ms");
    }

    @Test
    void anIdleTimeoutClosesOnlyItsOwnConnection() throws Exception {
        TcpOptions options = TcpOptions.builder().idleTimeout(Duration.ofSeconds(30)).build();
        Connection[] first = connect(options);
        loop.advanceTimeBy(Duration.ofSeconds(10));
        Connection[] second = connect(options); // connected at t = 10 s

        loop.advanceTimeBy(Duration.ofSeconds(20)); // t = 30 s
        assertThat(first[0].isOpen()).isFalse();
        assertThat(second[0].isOpen()).isTrue();
        assertThat(server.openConnections()).isEqualTo(1);
        loop.advanceTimeBy(Duration.ofSeconds(10)); // t = 40 s
        assertThat(second[0].isOpen()).isFalse();
        assertThat(server.openConnections()).isZero();
    }

    @Test
    void closingTheConnectionCancelsItsIdleTimer() throws Exception {
        Connection[] pair = connect(TcpOptions.builder().idleTimeout(Duration.ofSeconds(30)).build());
        int timersWithConnection = loop.metrics().pendingTimers();
        pair[0].close();
        loop.runPending();
        assertThat(loop.metrics().pendingTimers()).isEqualTo(timersWithConnection - 1);
    }
}

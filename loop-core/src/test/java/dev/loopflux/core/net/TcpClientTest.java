package dev.loopflux.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.TestLoop;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Connecting: refused, timed out, cancelled before it finished, cold and lazy. */
@Timeout(30)
class TcpClientTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private TestLoop testLoop() {
        TestLoop loop = TestLoop.create();
        cleanup.add(loop);
        return loop;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    @Test
    void refusedConnectFailsWithAConnectExceptionNamingTheAddressOnTheLoopThread() throws Exception {
        Loop loop = Loop.create("client");
        cleanup.add(() -> loop.shutdownGracefully().get(10, TimeUnit.SECONDS));
        int port = closedPort();
        Recorder<Connection> r = Recorder.onLoop(loop, 1);
        TcpClient.connect(loop, new InetSocketAddress("127.0.0.1", port), TcpOptions.defaults()).subscribe(r);
        Throwable error = r.awaitError();
        assertThat(error).isExactlyInstanceOf(ConnectException.class).hasMessage("connection refused: 127.0.0.1:" + port);
        assertThat(error.getCause()).isNotNull();
        assertThat(r.count()).isZero();
        assertThat(r.offLoopSignal).isNull();
        assertThat(r.onSubscribeCalls).hasValue(1);
        assertThat(r.terminalCalls).hasValue(1);
    }

    @Test
    void connectThatDoesNotFinishFailsWithConnectTimeoutExceptionAtItsDeadline() throws Exception {
        InetSocketAddress full = fullBacklog();
        TestLoop loop = testLoop();
        Recorder<Connection> r = Recorder.onLoop(loop, 1);
        TcpClient.connect(loop, full, TcpOptions.builder().connectTimeout(Duration.ofSeconds(5)).build()).subscribe(r);
        loop.runPending();
        assertThat(loop.metrics().registrations()).isEqualTo(1); // the socket is connecting

        loop.advanceTimeBy(Duration.ofMillis(4999));
        assertThat(r.isTerminated()).isFalse();
        loop.advanceTimeBy(Duration.ofMillis(1));
        assertThat(r.awaitError()).isExactlyInstanceOf(ConnectTimeoutException.class)
                .isInstanceOf(ConnectException.class)
                .hasMessage("connect timed out after 5000 ms: " + Peers.describe(full));
        assertThat(r.count()).isZero();
        loop.runPending();
        assertThat(loop.metrics().registrations()).isZero(); // the socket was closed
    }

    @Test
    void cancellingBeforeTheConnectFinishesClosesTheSocketAndSignalsNothing() throws Exception {
        InetSocketAddress full = fullBacklog();
        TestLoop loop = testLoop();
        loop.runPending();
        int fdsBefore = Net.openFileDescriptors();
        Recorder<Connection> r = Recorder.onLoop(loop, 1);
        TcpClient.connect(loop, full, TcpOptions.builder().connectTimeout(Duration.ofSeconds(5)).build()).subscribe(r);
        loop.runPending();
        assertThat(loop.metrics().registrations()).isEqualTo(1);
        if (fdsBefore >= 0) {
            assertThat(Net.openFileDescriptors()).isEqualTo(fdsBefore + 1);
        }

        r.cancel();
        loop.runPending(); // the select deregisters the key, which releases the descriptor
        assertThat(loop.metrics().registrations()).isZero();
        if (fdsBefore >= 0) {
            assertThat(Net.openFileDescriptors()).isEqualTo(fdsBefore);
        }
        loop.advanceTimeBy(Duration.ofSeconds(10)); // the connect timer was cancelled too
        assertThat(r.isTerminated()).isFalse();
        assertThat(r.count()).isZero();
        assertThat(loop.metrics().pendingTimers()).isZero();
    }

    @Test
    void nothingHappensBeforeTheFirstRequestAndEachSubscriptionConnectsAgain() throws Exception {
        TestLoop loop = testLoop();
        TcpServer server = TcpServer.bind(loop, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        cleanup.add(server::close);
        Recorder<Connection> accepted = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.connections().subscribe(accepted);
        var connect = TcpClient.connect(loop, server.localAddress(), TcpOptions.defaults());

        Recorder<Connection> first = Recorder.onLoop(loop, 0);
        connect.subscribe(first);
        loop.runPending();
        assertThat(first.subscribed).isDone();
        assertThat(loop.metrics().registrations()).isEqualTo(1); // the listener only
        assertThat(accepted.count()).isZero();

        first.request(1);
        Recorder<Connection> second = Recorder.onLoop(loop, 1);
        connect.subscribe(second);
        assertThat(loop.runUntil(() -> first.isTerminated() && second.isTerminated() && accepted.count() == 2,
                Duration.ofSeconds(10))).isTrue();
        first.awaitComplete();
        second.awaitComplete();
        assertThat(first.count()).isEqualTo(1);
        assertThat(second.count()).isEqualTo(1);
        assertThat(first.items().get(0)).isNotSameAs(second.items().get(0));
        assertThat(first.items().get(0).remoteAddress()).isEqualTo(server.localAddress());
        assertThat(server.acceptedConnections()).isEqualTo(2);
    }

    @Test
    void requestZeroFailsTheConnectWithIllegalArgumentException() throws Exception {
        TestLoop loop = testLoop();
        Recorder<Connection> r = Recorder.onLoop(loop, 0);
        TcpClient.connect(loop, new InetSocketAddress("127.0.0.1", closedPort()), TcpOptions.defaults()).subscribe(r);
        r.request(0);
        assertThat(r.awaitError()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3.9");
        loop.runPending();
        assertThat(loop.metrics().registrations()).isZero();
    }

    @Test
    void connectingOnALoopThatHasShutDownFailsAtOnce() throws Exception {
        Loop loop = Loop.create("gone");
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        Recorder<Connection> r = Recorder.requesting(1);
        TcpClient.connect(loop, new InetSocketAddress("127.0.0.1", 9), TcpOptions.defaults()).subscribe(r);
        assertThat(r.awaitError()).isInstanceOf(ConnectException.class).hasMessageContaining("127.0.0.1:9");
    }

    /**
     * A listening socket that never accepts, with its accept queue full: the kernel drops further
     * SYNs, so a connect to it stays pending. Filled by connecting until one does not finish
     * within 300 ms (with backlog 1, Linux queues two).
     */
    private InetSocketAddress fullBacklog() throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        cleanup.add(listener);
        listener.bind(new InetSocketAddress("127.0.0.1", 0), 1);
        InetSocketAddress address = (InetSocketAddress) listener.getLocalAddress();
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < 32; i++) {
                SocketChannel filler = SocketChannel.open();
                cleanup.add(filler);
                filler.configureBlocking(false);
                if (filler.connect(address)) {
                    continue;
                }
                SelectionKey key = filler.register(selector, SelectionKey.OP_CONNECT);
                if (selector.select(300) == 0) {
                    return address; // this one is stuck: the queue is full
                }
                selector.selectedKeys().clear();
                key.cancel();
                filler.finishConnect();
            }
        }
        throw new AssertionError("the accept queue of a backlog-1 listener did not fill after 32 connects");
    }
}

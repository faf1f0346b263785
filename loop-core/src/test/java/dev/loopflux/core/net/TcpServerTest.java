package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.TestLoop;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The server: accept backpressure, the connection limit, bind failures, the connections publisher, closing. */
@Timeout(30)
class TcpServerTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private LoopGroup group;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        if (group != null) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
    }

    private Socket socket() {
        Socket s = new Socket();
        cleanup.add(s);
        return s;
    }

    private TcpServer bindOnGroup(TcpOptions options) throws IOException {
        group = LoopGroup.create("server", 2);
        TcpServer server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, options);
        cleanup.add(() -> await(server.close()));
        return server;
    }

    @Test
    void bindingFromAnotherLoopsThreadReturnsWithoutWaitingForTheAcceptingLoop() throws Exception {
        group = LoopGroup.create("bind", 2);
        Loop binding = group.loops().get(0);
        Loop accepting = group.loops().get(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Void> held = new CompletableFuture<>();
        accepting.execute(() -> { // the accepting loop is busy (held on purpose, bounded) while the other binds
            held.complete(null);
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.get(10, TimeUnit.SECONDS);
        CompletableFuture<TcpServer> bound = new CompletableFuture<>();
        binding.execute(() -> {
            try {
                bound.complete(TcpServer.bind(accepting, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults()));
            } catch (IOException | RuntimeException e) {
                bound.completeExceptionally(e);
            }
        });
        // Returns while the accepting loop is still held: the binding loop waited for nothing.
        TcpServer server = bound.get(5, TimeUnit.SECONDS);
        cleanup.add(() -> await(server.close()));
        assertThat(release.getCount()).as("the accepting loop is still held").isEqualTo(1);
        Net.EchoHandler.serve(server);
        release.countDown();
        byte[] data = Net.random(10_000, 3);
        assertThat(Net.plainEcho(server.localAddress(), data)).isEqualTo(data); // registered once the loop came round
    }

    @Test
    void connectionsAreAcceptedOnlyAsTheSubscriberRequestsThem() throws Exception {
        Loop loop = Loop.create("acceptor");
        cleanup.add(() -> loop.shutdownGracefully().get(10, TimeUnit.SECONDS));
        TcpServer server = TcpServer.bind(loop, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        cleanup.add(() -> await(server.close()));
        Recorder<Connection> accepted = Recorder.onLoop(loop, 1);
        server.connections().subscribe(accepted);

        Set<Integer> clientPorts = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            Socket s = socket();
            s.connect(server.localAddress(), 10_000); // completes in the kernel's backlog
            clientPorts.add(s.getLocalPort());
        }
        accepted.awaitCount(1);
        // Two connections wait in the backlog. Were OP_ACCEPT still on without demand, every
        // select would report the listener ready again: the loop would spin, dispatching it.
        Net.passSelect(loop); // the dispatch that accepted the first one has been counted
        long dispatched = loop.metrics().keysDispatched();
        Net.passSelect(loop);
        Net.passSelect(loop);
        assertThat(loop.metrics().keysDispatched()).as("readiness events with no demand").isEqualTo(dispatched);
        assertThat(accepted.count()).isEqualTo(1);
        assertThat(server.acceptedConnections()).isEqualTo(1);

        accepted.request(2);
        accepted.awaitCount(3);
        assertThat(server.acceptedConnections()).isEqualTo(3);
        Set<Integer> acceptedPorts = new HashSet<>();
        for (Connection c : accepted.items()) {
            acceptedPorts.add(((InetSocketAddress) c.remoteAddress()).getPort());
        }
        assertThat(acceptedPorts).isEqualTo(clientPorts);
        assertThat(accepted.offLoopSignal).isNull();
    }

    @Test
    void pastMaxConnectionsANewConnectionIsClosedAtOnceAndTheOthersGoOn() throws Exception {
        TcpServer server = bindOnGroup(TcpOptions.builder().maxConnections(2).build());
        Net.EchoHandler echo = Net.EchoHandler.serve(server);
        Socket first = socket();
        first.connect(server.localAddress(), 10_000);
        Net.Served firstServed = echo.next();
        Socket second = socket();
        second.connect(server.localAddress(), 10_000);
        echo.next();

        Socket third = socket();
        third.connect(server.localAddress(), 10_000); // the kernel accepts it; the server drops it
        third.setSoTimeout(10_000);
        int read;
        try {
            read = third.getInputStream().read();
        } catch (SocketException reset) {
            read = -1;
        }
        assertThat(read).as("the refused client reads end of stream (or a reset)").isEqualTo(-1);
        assertThat(server.refusedConnections()).isEqualTo(1);
        assertThat(server.acceptedConnections()).isEqualTo(2);
        assertThat(server.openConnections()).isEqualTo(2);

        for (Socket s : List.of(first, second)) {
            byte[] data = Net.random(10_000, s.getLocalPort());
            s.getOutputStream().write(data);
            s.shutdownOutput();
            assertThat(Net.readToEnd(s)).isEqualTo(data);
        }
        await(firstServed.connection().onClose());
        assertThat(Net.plainEcho(server.localAddress(), new byte[] {42})).containsExactly(42); // room again
        assertThat(server.refusedConnections()).isEqualTo(1);
    }

    @Test
    void bindingAnAddressInUseThrowsBindExceptionNamingItAndLeaksNothing() throws Exception {
        TcpServer server = bindOnGroup(TcpOptions.defaults());
        Net.EchoHandler.serve(server);
        InetSocketAddress taken = new InetSocketAddress("127.0.0.1", server.port());
        var fdsBefore = Net.fileDescriptorTargets();
        assertThatThrownBy(() -> TcpServer.bind(group, taken, TcpOptions.defaults()))
                .isInstanceOf(BindException.class)
                .hasMessageContaining("127.0.0.1:" + server.port());
        int fds = Net.awaitFileDescriptorsAtMost(fdsBefore.size(), group.loops().toArray(Loop[]::new));
        assertThat(fds).as("descriptors before %s, after %s", fdsBefore, Net.fileDescriptorTargets())
                .isLessThanOrEqualTo(fdsBefore.size());
        assertThat(Net.plainEcho(server.localAddress(), new byte[] {7})).containsExactly(7); // the first server is unharmed
    }

    @Test
    void bindingAUnixSocketPathInUseThrowsBindExceptionNamingIt(@TempDir Path dir) throws Exception {
        group = LoopGroup.create("server", 1);
        UnixDomainSocketAddress path = UnixDomainSocketAddress.of(dir.resolve("taken.sock"));
        TcpServer server = TcpServer.bind(group, path, TcpOptions.defaults());
        cleanup.add(() -> await(server.close()));
        assertThatThrownBy(() -> TcpServer.bind(group, path, TcpOptions.defaults()))
                .isInstanceOf(BindException.class)
                .hasMessageContaining("unix:" + path.getPath());
        assertThat(path.getPath()).exists(); // the failed bind did not delete the live server's file
    }

    @Test
    void theConnectionsPublisherTakesOneSubscriberAtATimeAndCompletesWhenTheServerCloses() throws Exception {
        TcpServer server = bindOnGroup(TcpOptions.defaults());
        Recorder<Connection> first = Recorder.requesting(Long.MAX_VALUE);
        server.connections().subscribe(first);
        first.subscription();
        Recorder<Connection> second = Recorder.requesting(Long.MAX_VALUE);
        server.connections().subscribe(second);
        assertThat(second.awaitError()).isInstanceOf(IllegalStateException.class).hasMessageContaining("already");

        socket().connect(server.localAddress(), 10_000);
        first.awaitCount(1);
        first.cancel();
        Recorder<Connection> third = Recorder.requesting(Long.MAX_VALUE); // allowed after a cancel
        server.connections().subscribe(third);
        third.subscription();
        socket().connect(server.localAddress(), 10_000);
        third.awaitCount(1);
        assertThat(first.count()).isEqualTo(1);

        await(server.close());
        third.awaitComplete();
        assertThat(first.isTerminated()).as("a cancelled subscriber hears nothing more").isFalse();
        Recorder<Connection> late = Recorder.requesting(1);
        server.connections().subscribe(late);
        late.awaitComplete();
        assertThat(late.onSubscribeCalls).hasValue(1);
        assertThatThrownBy(() -> new Socket("127.0.0.1", server.port()).close()).isInstanceOf(IOException.class);
    }

    @Test
    void onceCloseCompletesThePortIsReleased() throws Exception {
        group = LoopGroup.create("server", 1);
        for (int i = 0; i < 50; i++) { // the window is short: go through it many times
            TcpServer server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
            Recorder<Connection> accepted = Recorder.requesting(1);
            server.connections().subscribe(accepted);
            accepted.subscription();
            int port = server.port();
            await(server.close());
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
                    .as("connect to a closed server, round %d", i).isInstanceOf(java.net.ConnectException.class);
            TcpServer again = TcpServer.bind(group, new InetSocketAddress("127.0.0.1", port), TcpOptions.defaults());
            await(again.close());
        }
    }

    @Test
    void requestZeroOnTheConnectionsFailsWithIllegalArgumentException() throws Exception {
        TcpServer server = bindOnGroup(TcpOptions.defaults());
        Recorder<Connection> r = Recorder.requesting(0);
        server.connections().subscribe(r);
        r.request(0);
        assertThat(r.awaitError()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3.9");
    }

    @Test
    void connectionsAreSpreadOverTheLoopsOfTheGroup() throws Exception {
        TcpServer server = bindOnGroup(TcpOptions.defaults());
        Recorder<Connection> accepted = Recorder.requesting(Long.MAX_VALUE);
        server.connections().subscribe(accepted);
        for (int i = 0; i < 4; i++) {
            socket().connect(server.localAddress(), 10_000);
        }
        accepted.awaitCount(4);
        Set<String> loops = new HashSet<>();
        for (Connection c : accepted.items()) {
            loops.add(c.loop().name());
        }
        assertThat(loops).hasSize(2);
    }

    @Test
    void gracefulCloseShutsOutputsDownThenClosesWhatIsStillOpenAtTheTimeout() throws Exception {
        TestLoop loop = TestLoop.create();
        cleanup.add(loop);
        TcpServer server = TcpServer.bind(loop, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        Recorder<Connection> accepted = Recorder.onLoop(loop, Long.MAX_VALUE);
        server.connections().subscribe(accepted);
        Socket polite = socket();
        polite.connect(server.localAddress(), 10_000);
        Socket stubborn = socket();
        stubborn.connect(server.localAddress(), 10_000);
        assertThat(loop.runUntil(() -> accepted.count() == 2, Duration.ofSeconds(10))).isTrue();
        for (Connection c : accepted.items()) {
            c.inbound().subscribe(Recorder.requesting(Long.MAX_VALUE));
        }

        CompletableFuture<Void> closed = server.close(Duration.ofSeconds(30)).toCompletableFuture();
        loop.runPending();
        accepted.awaitComplete();
        CompletableFuture<Integer> politeRead = CompletableFuture.supplyAsync(() -> readOne(polite));
        CompletableFuture<Integer> stubbornRead = CompletableFuture.supplyAsync(() -> readOne(stubborn));
        assertThat(loop.runUntil(() -> politeRead.isDone() && stubbornRead.isDone(), Duration.ofSeconds(10))).isTrue();
        assertThat(politeRead.get()).as("output shut down: end of stream").isEqualTo(-1);
        assertThat(stubbornRead.get()).isEqualTo(-1);

        polite.shutdownOutput(); // the polite peer finishes: its connection closes by itself
        Connection politeSide = accepted.items().get(0);
        assertThat(loop.runUntil(() -> !politeSide.isOpen(), Duration.ofSeconds(10))).isTrue();
        loop.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(closed).isNotDone();
        assertThat(server.openConnections()).isEqualTo(1);
        loop.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(closed).isCompleted();
        assertThat(server.openConnections()).isZero();
    }

    private static int readOne(Socket s) {
        try {
            s.setSoTimeout(10_000);
            return s.getInputStream().read();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}

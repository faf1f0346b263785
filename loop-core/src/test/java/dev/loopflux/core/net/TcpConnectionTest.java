package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.LoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The {@link Connection} contract on real sockets: one inbound subscriber, cancelling closes,
 * sends queue in order, closed and shut-down outputs, half-closes both ways, signals on the loop.
 */
@Timeout(30)
class TcpConnectionTest {
    private LoopGroup group;
    private TcpServer server;
    /** Every accepted connection, for the test to drive by hand. */
    private Recorder<Connection> accepted;
    private ExecutorService emitters;

    @BeforeEach
    void start() throws Exception {
        group = LoopGroup.create("conn", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        accepted = Recorder.requesting(Long.MAX_VALUE);
        server.connections().subscribe(accepted);
        emitters = Executors.newFixedThreadPool(3);
    }

    @AfterEach
    void stop() throws Exception {
        emitters.shutdownNow();
        await(server.close());
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    /** A client connection through {@link TcpClient} and its server side: {@code [client, server]}. */
    private Connection[] pair() throws Exception {
        int before = accepted.count();
        Connection client = Probe.single(TcpClient.connect(group.next(), server.localAddress(), TcpOptions.defaults()));
        accepted.awaitCount(before + 1);
        return new Connection[] {client, accepted.items().get(before)};
    }

    /** A plain blocking socket and the server side of it. */
    private Connection accept(Socket socket) throws Exception {
        int before = accepted.count();
        socket.connect(server.localAddress(), 10_000);
        socket.setSoTimeout(10_000);
        accepted.awaitCount(before + 1);
        return accepted.items().get(before);
    }

    private static Publisher<ByteBuffer> text(String s) {
        return Probe.publisherOf(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static String string(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String readExactly(InputStream in, int n) throws IOException {
        return string(in.readNBytes(n));
    }

    // ---- inbound ---------------------------------------------------------------------------

    @Test
    void aSecondInboundSubscriberGetsIllegalStateExceptionAndTheFirstKeepsReading() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            Recorder<ByteBuffer> first = Recorder.onLoop(connection.loop(), Long.MAX_VALUE);
            connection.inbound().subscribe(first);
            first.subscription();
            Recorder<ByteBuffer> second = Recorder.onLoop(connection.loop(), Long.MAX_VALUE);
            connection.inbound().subscribe(second);
            assertThat(second.awaitError()).isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already has a subscriber");
            assertThat(second.onSubscribeCalls).hasValue(1);

            socket.getOutputStream().write("still here".getBytes());
            socket.shutdownOutput();
            first.awaitComplete();
            assertThat(string(first.bytes())).isEqualTo("still here");
            assertThat(first.offLoopSignal).isNull();
            assertThat(second.offLoopSignal).isNull();
        }
    }

    @Test
    void cancellingTheInboundClosesTheConnectionAndFailsItsPendingSends() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            Recorder<ByteBuffer> in = Recorder.onLoop(connection.loop(), 1);
            connection.inbound().subscribe(in);
            // a send that cannot finish: its data never completes
            Recorder<Void> pending = Recorder.onLoop(connection.loop(), 1);
            connection.send(subscriber -> subscriber.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            })).subscribe(pending);

            in.cancel();
            await(connection.onClose());
            assertThat(connection.isOpen()).isFalse();
            assertThat(pending.awaitError()).isInstanceOf(ConnectionClosedException.class).hasMessageContaining("cancelled");
            assertThat(in.isTerminated()).as("no signal after cancel").isFalse();
            assertThat(socket.getInputStream().read()).as("the peer reads end of stream").isEqualTo(-1);
            assertThat(server.openConnections()).isZero();
        }
    }

    @Test
    void subscribingToTheInboundOfAClosedConnectionFailsWithTheReasonItClosed() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            connection.close();
            await(connection.onClose());
            Recorder<ByteBuffer> late = Recorder.requesting(1);
            connection.inbound().subscribe(late);
            assertThat(late.awaitError()).isInstanceOf(ConnectionClosedException.class)
                    .hasMessageContaining(Peers.describe(connection.remoteAddress()));
        }
    }

    // ---- send ------------------------------------------------------------------------------

    @Test
    void sendsSubscribedAtOnceGoOutWholeAndInOrderEvenWhenTheirDataComesFromOtherThreads() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            List<String> completions = new ArrayList<>();
            List<Recorder<Void>> sends = new ArrayList<>();
            StringBuilder expected = new StringBuilder();
            for (String name : List.of("A", "B", "C")) {
                List<String> pieces = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    pieces.add(name + i + ";");
                }
                expected.append(String.join("", pieces));
                Recorder<Void> sent = Recorder.onLoop(connection.loop(), 1);
                sent.terminal.thenRun(() -> completions.add(name)); // on the loop: no race
                sends.add(sent);
                connection.send(fromThread(pieces)).subscribe(sent);
            }
            for (Recorder<Void> sent : sends) {
                sent.awaitComplete();
                assertThat(sent.offLoopSignal).isNull();
                assertThat(sent.count()).isZero();
            }
            connection.shutdownOutput();
            assertThat(string(Net.readToEnd(socket))).isEqualTo(expected.toString());
            assertThat(completions).containsExactly("A", "B", "C");
        }
    }

    @Test
    void sendAfterCloseFailsWithConnectionClosedException() throws Exception {
        Connection[] pair = pair();
        Connection client = pair[0];
        client.close();
        client.close(); // idempotent
        await(client.onClose());
        Recorder<Void> sent = Recorder.onLoop(client.loop(), 1);
        client.send(text("too late")).subscribe(sent);
        assertThat(sent.awaitError()).isInstanceOf(ConnectionClosedException.class)
                .hasMessageContaining(Peers.describe(client.remoteAddress()));
        assertThat(sent.offLoopSignal).isNull();
    }

    @Test
    void closeFailsTheInboundSubscriberAndPendingSendsWithConnectionClosedException() throws Exception {
        Connection[] pair = pair();
        Connection client = pair[0];
        Recorder<ByteBuffer> in = Recorder.onLoop(client.loop(), Long.MAX_VALUE);
        client.inbound().subscribe(in);
        in.subscription();
        Recorder<Void> pending = Recorder.onLoop(client.loop(), 1);
        client.send(s -> s.onSubscribe(new Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        })).subscribe(pending);
        client.close();
        Throwable closed = in.awaitError();
        assertThat(closed).isInstanceOf(ConnectionClosedException.class).hasMessageContaining("closed locally");
        // A routine close makes no stack trace (it would show the loop, not the closer), and reads as its public type.
        assertThat(closed.getStackTrace()).isEmpty();
        assertThat(closed.toString()).startsWith(ConnectionClosedException.class.getName() + ": connection to ");
        assertThat(pending.awaitError()).isSameAs(closed);
        await(client.onClose()); // completed last, after the signals
        assertThat(in.offLoopSignal).isNull();
        assertThat(pending.offLoopSignal).isNull();
    }

    @Test
    void sendAfterShutdownOutputFailsAndReadingGoesOn() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            Recorder<ByteBuffer> in = Recorder.onLoop(connection.loop(), Long.MAX_VALUE);
            connection.inbound().subscribe(in);
            connection.shutdownOutput();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            Recorder<Void> sent = Recorder.onLoop(connection.loop(), 1);
            connection.send(text("after shutdown")).subscribe(sent);
            assertThat(sent.awaitError()).isInstanceOf(ConnectionClosedException.class).hasMessageContaining("shut down");
            socket.getOutputStream().write("but I can still talk".getBytes());
            in.awaitCount(1);
            assertThat(connection.isOpen()).isTrue();
        }
    }

    @Test
    void aSendWhoseDataFailsFailsAloneAndTheNextSendGoesOut() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            IOException boom = new IOException("boom");
            Recorder<Void> failed = Recorder.onLoop(connection.loop(), 1);
            connection.send(s -> s.onSubscribe(new Subscription() {
                boolean sentOne;

                @Override
                public void request(long n) {
                    if (!sentOne) {
                        sentOne = true;
                        s.onNext(ByteBuffer.wrap("partial;".getBytes()));
                    } else {
                        s.onError(boom);
                    }
                }

                @Override
                public void cancel() {
                }
            })).subscribe(failed);
            assertThat(failed.awaitError()).isSameAs(boom);
            Recorder<Void> next = Recorder.onLoop(connection.loop(), 1);
            connection.send(text("next")).subscribe(next);
            next.awaitComplete();
            connection.shutdownOutput();
            // bytes the failed send had already given are still written, before the next send's
            assertThat(string(Net.readToEnd(socket))).isEqualTo("partial;next");
        }
    }

    @Test
    void aSendDoesNotCancelItsDataFromInsideTheDataOnErrorRule2_3() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            AtomicBoolean inOnError = new AtomicBoolean();
            AtomicBoolean cancelledInOnError = new AtomicBoolean();
            Recorder<Void> failed = Recorder.onLoop(connection.loop(), 1);
            connection.send(s -> s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    inOnError.set(true);
                    try {
                        s.onError(new IOException("no data")); // on the loop thread, synchronously
                    } finally {
                        inOnError.set(false);
                    }
                }

                @Override
                public void cancel() {
                    if (inOnError.get()) {
                        cancelledInOnError.set(true);
                    }
                }
            })).subscribe(failed);
            assertThat(failed.awaitError()).hasMessage("no data");
            assertThat(cancelledInOnError).as("Subscription.cancel() called from within onError (§2.3)").isFalse();
        }
    }

    @Test
    void aCompletedSendIsNotCancelledWhenTheConnectionClosesLater() throws Exception {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            Connection connection = accept(socket);
            AtomicBoolean completed = new AtomicBoolean();
            AtomicInteger cancelsAfterComplete = new AtomicInteger();
            byte[] big = new byte[4 << 20]; // more than the kernel takes while the peer does not read
            Recorder<Void> sent = Recorder.onLoop(connection.loop(), 1);
            connection.send(s -> s.onSubscribe(new Subscription() {
                boolean done;

                @Override
                public void request(long n) {
                    if (!done) {
                        done = true;
                        s.onNext(ByteBuffer.wrap(big));
                        completed.set(true);
                        s.onComplete();
                    }
                }

                @Override
                public void cancel() {
                    if (completed.get()) {
                        cancelsAfterComplete.incrementAndGet();
                    }
                }
            })).subscribe(sent);
            connection.close(); // the data completed, its bytes are not all written: the send fails
            assertThat(sent.awaitError()).isInstanceOf(ConnectionClosedException.class);
            assertThat(completed).isTrue();
            assertThat(cancelsAfterComplete).as("cancel() on a subscription that already completed (§2.4)").hasValue(0);
        }
    }

    // ---- half-close ------------------------------------------------------------------------

    @Test
    void peerHalfClosesTheServerReadsEndOfStreamAndCanStillSend() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            Recorder<ByteBuffer> in = Recorder.onLoop(connection.loop(), Long.MAX_VALUE);
            connection.inbound().subscribe(in);
            OutputStream out = socket.getOutputStream();
            out.write("question".getBytes());
            socket.shutdownOutput();
            in.awaitComplete();
            assertThat(string(in.bytes())).isEqualTo("question");
            assertThat(connection.isOpen()).as("only the peer's output is shut").isTrue();

            Recorder<Void> sent = Recorder.onLoop(connection.loop(), 1);
            connection.send(text("late answer")).subscribe(sent);
            sent.awaitComplete();
            InputStream stream = socket.getInputStream();
            assertThat(readExactly(stream, "late answer".length())).isEqualTo("late answer");
            assertThat(connection.isOpen()).isTrue();

            connection.shutdownOutput();
            assertThat(stream.read()).isEqualTo(-1);
            await(connection.onClose()); // both directions done: closed by itself
            assertThat(connection.isOpen()).isFalse();
            assertThat(in.offLoopSignal).isNull();
            assertThat(sent.offLoopSignal).isNull();
        }
    }

    @Test
    void serverHalfClosesThePeerReadsEndOfStreamAndCanStillSend() throws Exception {
        try (Socket socket = new Socket()) {
            Connection connection = accept(socket);
            Recorder<ByteBuffer> in = Recorder.onLoop(connection.loop(), Long.MAX_VALUE);
            connection.inbound().subscribe(in);
            Recorder<Void> sent = Recorder.onLoop(connection.loop(), 1);
            connection.send(text("bye")).subscribe(sent);
            connection.shutdownOutput();
            assertThat(string(Net.readToEnd(socket))).isEqualTo("bye");
            sent.awaitComplete();

            socket.getOutputStream().write("one more thing".getBytes());
            in.awaitCount(1);
            assertThat(connection.isOpen()).isTrue();
            socket.shutdownOutput();
            in.awaitComplete();
            assertThat(string(in.bytes())).isEqualTo("one more thing");
            await(connection.onClose());
            assertThat(server.openConnections()).isZero();
        }
    }

    /**
     * {@code onClose()} is made on first use: asked before the close it completes at the close;
     * asked after, it is complete at once; asked from other threads while the loop closes, every
     * caller gets a stage that completes (run many times to give the race its chances).
     */
    @Test
    void onCloseCompletesWhetherAskedBeforeAfterOrDuringTheClose() throws Exception {
        Connection[] early = pair();
        CompletableFuture<Void> before = early[1].onClose().toCompletableFuture();
        assertThat(before).isNotDone();
        assertThat(early[1].onClose()).isSameAs(early[1].onClose());
        early[1].close();
        before.get(10, TimeUnit.SECONDS);

        Connection[] late = pair();
        late[1].close(); // queued on the loop: a task queued after it asks once it has run
        CompletableFuture<java.util.concurrent.CompletionStage<Void>> askedAfter = new CompletableFuture<>();
        late[1].loop().execute(() -> askedAfter.complete(late[1].onClose()));
        assertThat(askedAfter.get(10, TimeUnit.SECONDS).toCompletableFuture()).isDone();

        for (int i = 0; i < 200; i++) {
            Connection serverSide = pair()[1];
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<java.util.concurrent.CompletionStage<Void>>> asked = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                asked.add(emitters.submit(() -> {
                    go.await();
                    return serverSide.onClose();
                }));
            }
            go.countDown();
            serverSide.close();
            for (var f : asked) {
                f.get(10, TimeUnit.SECONDS).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
        assertThat(server.openConnections()).isZero();
    }

    @Test
    void twoLibraryConnectionsHalfCloseBothWaysAndBothCloseByThemselves() throws Exception {
        Connection[] pair = pair();
        Connection client = pair[0];
        Connection serverSide = pair[1];
        Recorder<ByteBuffer> clientIn = Recorder.onLoop(client.loop(), Long.MAX_VALUE);
        Recorder<ByteBuffer> serverIn = Recorder.onLoop(serverSide.loop(), Long.MAX_VALUE);
        client.inbound().subscribe(clientIn);
        serverSide.inbound().subscribe(serverIn);

        Recorder<Void> request = Recorder.onLoop(client.loop(), 1);
        client.send(text("request")).subscribe(request);
        client.shutdownOutput();
        serverIn.awaitComplete();
        assertThat(string(serverIn.bytes())).isEqualTo("request");

        Recorder<Void> response = Recorder.onLoop(serverSide.loop(), 1);
        serverSide.send(text("response")).subscribe(response);
        serverSide.shutdownOutput();
        clientIn.awaitComplete();
        assertThat(string(clientIn.bytes())).isEqualTo("response");

        await(client.onClose());
        await(serverSide.onClose());
        for (Recorder<?> r : List.of(clientIn, serverIn, request, response)) {
            assertThat(r.offLoopSignal).isNull();
            assertThat(r.afterTerminal).isNull();
            assertThat(r.terminalCalls).hasValue(1);
        }
    }

    @Test
    void closingInsideOnNextSignalsTheErrorAfterOnNextReturnsNotNestedInIt() throws Exception {
        try (Socket socket = new Socket()) {
            Connection c = accept(socket);
            java.util.concurrent.atomic.AtomicBoolean inOnNext = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CompletableFuture<Boolean> errorNested = new java.util.concurrent.CompletableFuture<>();
            c.inbound().subscribe(new org.reactivestreams.Subscriber<>() {
                @Override
                public void onSubscribe(org.reactivestreams.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(ByteBuffer b) {
                    inOnNext.set(true);
                    c.close(); // on the loop, inside onNext
                    inOnNext.set(false);
                }

                @Override
                public void onError(Throwable t) {
                    errorNested.complete(inOnNext.get());
                }

                @Override
                public void onComplete() {
                    errorNested.completeExceptionally(new AssertionError("completed instead of failing"));
                }
            });
            socket.getOutputStream().write(1);
            assertThat(errorNested.get(10, java.util.concurrent.TimeUnit.SECONDS)).as("onError nested inside onNext").isFalse();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** A cold publisher of {@code pieces} that emits each one from a pool thread, never the caller's. */
    private Publisher<ByteBuffer> fromThread(List<String> pieces) {
        return subscriber -> subscriber.onSubscribe(new Subscription() {
            private int next;
            private long demand;
            private boolean emitting;
            private boolean cancelled;

            @Override
            public synchronized void request(long n) {
                demand += n;
                if (!emitting) {
                    emitting = true;
                    emitters.execute(this::drain);
                }
            }

            private void drain() {
                for (;;) {
                    String piece;
                    synchronized (this) {
                        if (cancelled || demand == 0 || next == pieces.size()) {
                            emitting = false;
                            if (next == pieces.size() && !cancelled) {
                                cancelled = true;
                                piece = null;
                            } else {
                                return;
                            }
                        } else {
                            demand--;
                            piece = pieces.get(next++);
                        }
                    }
                    if (piece == null) {
                        subscriber.onComplete();
                        return;
                    }
                    subscriber.onNext(ByteBuffer.wrap(piece.getBytes(StandardCharsets.UTF_8)));
                }
            }

            @Override
            public synchronized void cancel() {
                cancelled = true;
            }
        });
    }
}

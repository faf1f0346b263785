package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.Publishers;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection's inbound sent as it is ({@code send(inbound())}, to the same connection or to
 * another on the same loop): what the loop reads is written straight from its read buffer while
 * the destination keeps up, and copied and queued only when the kernel refuses it. These tests
 * check that no chunk is made while it keeps up, and that the bytes stay intact and in order, and
 * memory bounded, when it does not.
 */
@Timeout(60)
class PipeTest {
    private static final int MIB = 1 << 20;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final Loop loop = Loop.create("pipe");

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    /** A server on the test's loop that hands each accepted connection to {@code handler}, on the loop. */
    private TcpServer serve(TcpOptions options, Consumer<Connection> handler) throws Exception {
        TcpServer server = TcpServer.bind(loop, Net.LOCALHOST_ANY_PORT, options);
        cleanup.add(() -> await(server.close()));
        Publishers.consume(server.connections(), handler);
        return server;
    }

    /** {@code send(data)}, then the output shut down; on failure, the connection closed. */
    private static void sendThenShutdown(Connection connection, org.reactivestreams.Publisher<ByteBuffer> data) {
        Publishers.consume(connection.send(data), nothing -> { }).whenComplete((ok, error) -> {
            if (error == null) {
                connection.shutdownOutput();
            } else {
                connection.close();
            }
        });
    }

    @Test
    void anEchoOfTheInboundAsItIsMakesNoChunkOnTheLoopWhileThePeerKeepsUp() throws Exception {
        TcpServer pipe = serve(TcpOptions.defaults(), c -> sendThenShutdown(c, c.inbound()));
        // The control: the same echo through a pass-through publisher, which sees every chunk.
        TcpServer copying = serve(TcpOptions.defaults(), c -> sendThenShutdown(c, new Net.Tap(c.inbound())));
        long total = 32L * MIB;

        long copied = loopAllocationDuringLockstepEcho(copying, total);
        long piped = loopAllocationDuringLockstepEcho(pipe, total);

        assertThat(copied).as("the control: every byte read is copied into a chunk").isGreaterThanOrEqualTo(total);
        assertThat(piped).as("bytes the loop allocated while echoing %d MiB through the pipe", total / MIB)
                .isLessThan(total / 32);
    }

    /**
     * Echoes {@code total} bytes through {@code server} in lockstep, 16 KiB out and the same back
     * before the next (so the kernel never refuses the echo), and returns the bytes the loop
     * thread allocated meanwhile.
     */
    private long loopAllocationDuringLockstepEcho(TcpServer server, long total) throws Exception {
        long loopThread = onLoop(() -> Thread.currentThread().getId());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] out = Net.random(16 * 1024, 5);
        byte[] back = new byte[out.length];
        try (Socket socket = new Socket()) {
            socket.connect(server.localAddress(), 10_000);
            socket.setSoTimeout(10_000);
            OutputStream os = socket.getOutputStream();
            InputStream is = socket.getInputStream();
            for (int i = 0; i < 64; i++) { // warm up: the first reads grow the loop's read buffer
                os.write(out);
                is.readNBytes(back, 0, back.length);
            }
            long before = threads.getThreadAllocatedBytes(loopThread);
            for (long sent = 0; sent < total; sent += out.length) {
                os.write(out);
                assertThat(is.readNBytes(back, 0, back.length)).isEqualTo(back.length);
            }
            long after = threads.getThreadAllocatedBytes(loopThread);
            assertThat(back).isEqualTo(out);
            return after - before;
        }
    }

    @Test
    void oneMebibyteThroughThePipeSurvivesOneByteReadsAndPartialWritesThroughTinySocketBuffers() throws Exception {
        TcpServer server = serve(TcpOptions.builder().sendBufferSize(4096).readBufferSize(64).build(),
                c -> sendThenShutdown(c, c.inbound()));
        byte[] data = Net.random(MIB, 41);
        try (Socket socket = new Socket()) {
            socket.setSendBufferSize(4096);
            socket.connect(server.localAddress(), 10_000);
            Net.assertEchoedOneByteAtATime(socket, data, 1500, 42);
        }
    }

    @Test
    void aReaderThatStopsReadingStopsThePipeAndTheServerHoldsNoMoreThanTheMarkPlusOneRead() throws Exception {
        int highWaterMark = 64 * 1024;
        int readBuffer = 16 * 1024;
        BlockingQueue<Connection> served = new LinkedBlockingQueue<>();
        TcpServer server = serve(TcpOptions.builder().writeHighWaterMark(highWaterMark).readBufferSize(readBuffer)
                .sendBufferSize(4096).receiveBufferSize(4096).build(), c -> {
                    served.add(c);
                    sendThenShutdown(c, c.inbound());
                });
        long total = 16L * MIB;
        Socket socket = new Socket();
        cleanup.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.setSendBufferSize(4096);
        socket.connect(server.localAddress(), 10_000);
        TcpConnection connection = (TcpConnection) served.poll(10, TimeUnit.SECONDS);
        assertThat(connection).isNotNull();

        Net.FlatOutWriter writer = new Net.FlatOutWriter(socket, total, 43);
        Loop sampler = Loop.create("sampler");
        cleanup.add(() -> sampler.shutdownGracefully().get(10, TimeUnit.SECONDS));
        assertThat(writer.stalls(sampler)).as("the writer finished %d MiB: nothing pushed back", total / MIB).isTrue();
        long pending = onLoop(() -> connection.outbound.pendingBytes());
        assertThat(pending).isPositive().isLessThanOrEqualTo(highWaterMark + readBuffer);

        // Now the client reads: everything drains, intact and in order.
        long[] received = Net.readToEndCounted(socket);
        writer.done.get(10, TimeUnit.SECONDS);
        assertThat(received[0]).isEqualTo(total);
        assertThat(received[1]).isEqualTo(writer.crc.getValue());
        await(connection.onClose());
        assertThat(onLoop(() -> IoScratch.get().spillsInUse())).as("spill buffers still out").isZero();
    }

    @Test
    void spillBuffersGivenBackByAConnectionThatWasResetServeTheNextOneIntact() throws Exception {
        BlockingQueue<Connection> served = new LinkedBlockingQueue<>();
        TcpOptions small = TcpOptions.builder().sendBufferSize(4096).build(); // reads stay large: spills are too
        TcpServer server = serve(small, c -> {
            served.add(c);
            sendThenShutdown(c, c.inbound());
        });

        // A client that writes and never reads: the echo waits in spill buffers; then it resets.
        Socket victim = new Socket();
        victim.setReceiveBufferSize(4096);
        victim.connect(server.localAddress(), 10_000);
        TcpConnection first = (TcpConnection) served.poll(10, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        Net.FlatOutWriter writer = new Net.FlatOutWriter(victim, 256L * MIB, 73);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (onLoop(() -> IoScratch.get().spillsInUse()) == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // each look is a round trip through the loop
        }
        assertThat(onLoop(() -> IoScratch.get().spillsInUse())).as("spill buffers out while the client does not read").isPositive();
        victim.setSoLinger(true, 0);
        victim.close(); // RST, under the writer too
        assertThat(writer.done).failsWithin(10, TimeUnit.SECONDS);
        await(first.onClose());
        assertThat(onLoop(() -> IoScratch.get().spillsInUse())).as("spill buffers still out").isZero();

        // The next connection spills into the same buffers: its bytes must come back intact.
        byte[] data = Net.random(4 * MIB, 71);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(server.localAddress(), 10_000);
            assertEchoes(socket, data, 70_000, 72, data);
        }
        await(served.poll(10, TimeUnit.SECONDS).onClose());
        assertThat(onLoop(() -> IoScratch.get().spillsInUse())).as("spill buffers still out").isZero();
    }

    @Test
    void pastTheLoopsSpillBuffersPipesCopyIntoTheHeapAndEveryByteStillComesBackIntact() throws Exception {
        int connections = IoScratch.MAX_SPILLS_IN_USE + 16;
        BlockingQueue<Connection> served = new LinkedBlockingQueue<>();
        // Kernel buffers small enough that each client stalls within a few hundred KiB, and reads
        // large enough (up to twice 16 KiB) that what waits goes to spill buffers, not small heap ones.
        TcpServer server = serve(TcpOptions.builder().sendBufferSize(4096).receiveBufferSize(16 * 1024).build(), c -> {
            served.add(c);
            sendThenShutdown(c, c.inbound());
        });
        // Each client writes until the server stops reading it (its echo waits at the high-water
        // mark, in spill buffers while the loop has any to lend, in heap buffers after), and reads
        // nothing until all of them have stalled.
        List<Socket> sockets = new ArrayList<>();
        List<Net.FlatOutWriter> writers = new ArrayList<>();
        Loop sampler = Loop.create("sampler");
        cleanup.add(() -> sampler.shutdownGracefully().get(10, TimeUnit.SECONDS));
        for (int i = 0; i < connections; i++) {
            Socket socket = new Socket();
            cleanup.add(socket);
            socket.setReceiveBufferSize(4096);
            socket.setSendBufferSize(4096);
            socket.connect(server.localAddress(), 10_000);
            sockets.add(socket);
            writers.add(new Net.FlatOutWriter(socket, 2L * MIB, 200 + i));
        }
        java.util.function.LongSupplier[] others = writers.stream().skip(1)
                .map(w -> (java.util.function.LongSupplier) w.written::get).toArray(java.util.function.LongSupplier[]::new);
        assertThat(writers.get(0).stalls(sampler, others)).as("the writers stall: the server stops reading them").isTrue();
        assertThat(writers).allSatisfy(w -> assertThat(w.done).isNotDone());
        assertThat(onLoop(() -> IoScratch.get().spillsInUse())).isEqualTo(IoScratch.MAX_SPILLS_IN_USE);

        java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newCachedThreadPool();
        cleanup.add(readers::shutdownNow);
        List<java.util.concurrent.Future<long[]>> echoes = new ArrayList<>();
        for (Socket socket : sockets) {
            echoes.add(readers.submit(() -> Net.readToEndCounted(socket)));
        }
        for (int i = 0; i < connections; i++) {
            long[] received = echoes.get(i).get(30, TimeUnit.SECONDS);
            writers.get(i).done.get(10, TimeUnit.SECONDS);
            assertThat(received[0]).isEqualTo(2L * MIB);
            assertThat(received[1]).as("connection %d's echo", i).isEqualTo(writers.get(i).crc.getValue());
        }
        for (int i = 0; i < connections; i++) {
            await(served.poll(10, TimeUnit.SECONDS).onClose());
        }
        assertThat(onLoop(() -> IoScratch.get().spillsInUse())).as("spill buffers still out").isZero();
    }

    @Test
    void anOutputShutDownWhileThePipeRunsIsShutAfterItsLastByte() throws Exception {
        TcpServer server = serve(TcpOptions.builder().sendBufferSize(4096).build(), c -> {
            Publishers.consume(c.send(c.inbound()), nothing -> { });
            c.shutdownOutput(); // at once: it waits behind the pipe, which ends with the peer's input
        });
        byte[] data = Net.random(MIB, 81);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(server.localAddress(), 10_000);
            assertEchoes(socket, data, 20_000, 82, data);
        }
    }

    @Test
    void aProxyToAConnectionOnAnotherLoopTakesTheUsualPathIntact() throws Exception {
        Loop other = Loop.create("pipe-other");
        cleanup.add(() -> other.shutdownGracefully().get(10, TimeUnit.SECONDS));
        TcpServer backend = TcpServer.bind(other, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults());
        cleanup.add(() -> await(backend.close()));
        Publishers.consume(backend.connections(), c -> sendThenShutdown(c, c.inbound()));
        // The front's connection to the backend lives on the other loop: no pipe between loops.
        TcpServer front = serve(TcpOptions.defaults(), c ->
                Publishers.consume(TcpClient.connect(other, backend.localAddress(), TcpOptions.defaults()), back -> {
                    sendThenShutdown(back, c.inbound());
                    sendThenShutdown(c, back.inbound());
                }));

        byte[] data = Net.random(4 * MIB, 91);
        try (Socket socket = new Socket()) {
            socket.connect(front.localAddress(), 10_000);
            assertEchoes(socket, data, 100_000, 92, data);
        }
    }

    @Test
    void bytesPipedWhileAnEarlierSendIsStillPendingComeOutAfterIt() throws Exception {
        byte[] greeting = Net.random(2 * MIB, 51);
        TcpServer server = serve(TcpOptions.builder().sendBufferSize(4096).build(), c -> {
            ByteBuffer[] pieces = new ByteBuffer[greeting.length / (64 * 1024)];
            for (int i = 0; i < pieces.length; i++) {
                pieces[i] = ByteBuffer.wrap(greeting, i * 64 * 1024, 64 * 1024).slice();
            }
            Publishers.consume(c.send(Probe.publisherOf(pieces)), nothing -> { }); // queued first
            sendThenShutdown(c, c.inbound());
        });
        byte[] data = Net.random(512 * 1024, 52);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(server.localAddress(), 10_000);
            // All of data is written before the client reads anything: it reaches the server while
            // most of the greeting still waits there.
            byte[] expected = new byte[greeting.length + data.length];
            System.arraycopy(greeting, 0, expected, 0, greeting.length);
            System.arraycopy(data, 0, expected, greeting.length, data.length);
            assertEchoes(socket, data, 3000, 53, expected);
        }
    }

    @Test
    void aProxyPipesBothWaysBetweenTwoConnectionsOfItsLoop() throws Exception {
        ServerSocket backend = backendSocket();
        CompletableFuture<Void> backendDone = blockingEcho(backend);
        TcpServer front = serve(TcpOptions.defaults(), c -> proxy(c, backend.getLocalSocketAddress()));

        byte[] data = Net.random(4 * MIB, 61);
        try (Socket socket = new Socket()) {
            socket.connect(front.localAddress(), 10_000);
            assertEchoes(socket, data, 100_000, 62, data);
        }
        backendDone.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aBackendThatResetsMidStreamClosesTheProxiedConnection() throws Exception {
        ServerSocket backend = backendSocket();
        CompletableFuture<Void> reset = CompletableFuture.runAsync(() -> {
            try {
                Socket s = backend.accept();
                s.getInputStream().readNBytes(64 * 1024);
                s.setSoLinger(true, 0);
                s.close(); // RST, with the proxy writing to it flat out
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        CompletableFuture<Connection> frontConnection = new CompletableFuture<>();
        TcpServer front = serve(TcpOptions.defaults(), c -> {
            frontConnection.complete(c);
            proxy(c, backend.getLocalSocketAddress());
        });

        try (Socket socket = new Socket()) {
            socket.connect(front.localAddress(), 10_000);
            CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    byte[] chunk = new byte[16 * 1024];
                    for (;;) {
                        out.write(chunk);
                    }
                } catch (Exception e) {
                    // the proxy closed the connection under the writer: expected
                }
            });
            reset.get(10, TimeUnit.SECONDS);
            Connection proxied = frontConnection.get(10, TimeUnit.SECONDS);
            proxied.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(proxied.isOpen()).isFalse();
            assertThat(front.openConnections()).isZero();
        }
    }

    @Test
    void aTlsFrontProxiedToAPlainBackendOnTheSameLoopTakesTheUsualPathIntact() throws Exception {
        // Plain bytes read from the backend must be wrapped before they go to the TLS front (no
        // pipe into TLS), and the front's bytes come decrypted (no pipe out of TLS either).
        ServerSocket backend = backendSocket();
        blockingEcho(backend);
        TcpServer front = serve(TcpOptions.builder().tls(TlsFixtures.serverOptions().build()).build(),
                c -> proxy(c, backend.getLocalSocketAddress()));

        byte[] data = Net.random(MIB, 101);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) TlsFixtures.jdkContext(null).getSocketFactory().createSocket()) {
            socket.connect(front.localAddress(), 10_000);
            socket.setSoTimeout(10_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(data);
                    socket.getOutputStream().flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] received = socket.getInputStream().readNBytes(data.length);
            writer.get(10, TimeUnit.SECONDS);
            assertThat(received.length).isEqualTo(data.length);
            assertThat(Net.crc(received)).isEqualTo(Net.crc(data));
        }
    }

    /** A plain server socket on 127.0.0.1 for a proxy's backend, closed after the test. */
    private ServerSocket backendSocket() throws java.io.IOException {
        ServerSocket backend = new ServerSocket();
        cleanup.add(backend);
        backend.bind(new InetSocketAddress("127.0.0.1", 0));
        return backend;
    }

    /** A blocking echo of one connection accepted by {@code backend}, half-closed at its end; completes then. */
    private static CompletableFuture<Void> blockingEcho(ServerSocket backend) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = backend.accept()) {
                s.getInputStream().transferTo(s.getOutputStream());
                s.shutdownOutput();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /**
     * Connects to {@code backend} on the test's loop and pipes both directions; each direction
     * shuts its output down when its source ends, and a failure of either closes its connection
     * (and so, through the other direction's send, the other one).
     */
    private void proxy(Connection front, java.net.SocketAddress backend) {
        Publishers.consume(TcpClient.connect(loop, backend, TcpOptions.defaults()), back -> {
            sendThenShutdown(back, front.inbound());
            sendThenShutdown(front, back.inbound());
        }).whenComplete((ok, error) -> {
            if (error != null) {
                front.close();
            }
        });
    }

    /** Runs {@code read} on the loop and returns its result. */
    private <T> T onLoop(java.util.function.Supplier<T> read) throws Exception {
        return CompletableFuture.supplyAsync(read, loop).get(10, TimeUnit.SECONDS);
    }

    /**
     * Writes {@code data} in pieces of 1 to {@code maxPiece} bytes on another thread, then
     * half-closes, and checks that what comes back, to the end of stream, is {@code expected}.
     */
    private static void assertEchoes(Socket socket, byte[] data, int maxPiece, long seed, byte[] expected) throws Exception {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> Net.writeInPieces(socket, data, maxPiece, seed));
        byte[] received = Net.readToEnd(socket);
        writer.get(10, TimeUnit.SECONDS);
        assertThat(received.length).isEqualTo(expected.length);
        assertThat(Net.crc(received)).isEqualTo(Net.crc(expected));
    }
}

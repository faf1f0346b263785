package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Peers that make the transport work hard: one-byte reads, small writes through tiny socket
 * buffers (so the kernel takes partial writes), a peer that resets mid-stream, and a peer that
 * never reads what it is sent.
 */
@Timeout(60)
class TcpAdversarialTest {
    private static final int MIB = 1 << 20;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private LoopGroup group;
    private TcpServer server;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        if (server != null) {
            await(server.close());
        }
        if (group != null) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
    }

    private Net.EchoHandler startEchoServer(TcpOptions options) throws Exception {
        group = LoopGroup.create("adversarial", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, options);
        return Net.EchoHandler.serve(server);
    }

    /**
     * Tiny send buffers (so writes are partial) and 64-byte reads. Receive buffers stay at the
     * system's size: a 4 KiB one fills with the overhead of small segments, Linux drops what
     * comes next, and the connection crawls on retransmission back-off (seen as a test that took
     * minutes now and then, with both loops idle and the kernel counting TCPRcvQDrop).
     */
    private static TcpOptions tinySocketBuffers() {
        return TcpOptions.builder().sendBufferSize(4096).readBufferSize(64).build();
    }

    @Test
    void oneMebibyteSurvivesOneByteReadsAndSmallWritesThroughTinySocketBuffers() throws Exception {
        Net.EchoHandler echo = startEchoServer(tinySocketBuffers());
        byte[] data = Net.random(MIB, 11);
        try (Socket socket = new Socket()) {
            // The receive buffer stays at the system's size: see tinySocketBuffers().
            socket.setSendBufferSize(4096);
            socket.connect(server.localAddress(), 10_000);
            Net.assertEchoedOneByteAtATime(socket, data, 1500, 5);
        }
        Net.Served served = echo.next();
        served.echo().awaitComplete();
        assertThat(served.tap().bytes.get()).isEqualTo(MIB);
        // 64-byte reads: the echo went out as thousands of buffers, gathered and partially written
        assertThat(served.tap().chunks.get()).isGreaterThanOrEqualTo(MIB / 64);
        await(served.connection().onClose());
    }

    @Test
    void oneMebibyteSurvivesAClientConnectionThatTakesOneSmallChunkAtATime() throws Exception {
        startEchoServer(tinySocketBuffers());
        Loop loop = group.next();
        TcpOptions clientOptions = tinySocketBuffers();
        Connection connection = Probe.single(TcpClient.connect(loop, server.localAddress(), clientOptions));
        byte[] data = Net.random(MIB, 12);

        OneAtATime reader = new OneAtATime();
        connection.inbound().subscribe(reader);
        Recorder<Void> sent = Recorder.subscribe(connection.send(smallPieces(data, 700, 13)), 1);
        sent.terminal.thenRun(connection::shutdownOutput);

        reader.done.get(30, TimeUnit.SECONDS);
        sent.awaitComplete();
        assertThat(reader.total).isEqualTo(data.length);
        assertThat(reader.crc.getValue()).isEqualTo(Net.crc(data));
        assertThat(reader.largestChunk).isLessThanOrEqualTo(64);
        await(connection.onClose()); // both sides shut down: it closed by itself
    }

    @Test
    void peerResetWhileTheServerReadsFailsTheConnectionWithAnExceptionNamingThePeer() throws Exception {
        Net.EchoHandler echo = startEchoServer(TcpOptions.defaults());
        byte[] before = Net.random(1000, 21);
        try (Socket bystander = new Socket()) {
            bystander.connect(server.localAddress(), 10_000);
            Net.Served bystanderServed = echo.next();

            Socket victim = new Socket();
            victim.connect(server.localAddress(), 10_000);
            Net.Served served = echo.next();
            victim.getOutputStream().write(before);
            served.tap().whenBytes(before.length).get(10, TimeUnit.SECONDS); // the server is mid-stream
            victim.setSoLinger(true, 0);
            victim.close(); // RST

            String peer = "127.0.0.1:" + victim.getLocalPort();
            assertResetNamingPeer(served, peer);
            assertThat(server.openConnections()).isEqualTo(1);

            // the server and the other connection go on
            assertThat(bystanderServed.connection().isOpen()).isTrue();
            byte[] after = Net.random(5000, 22);
            bystander.getOutputStream().write(after);
            bystander.shutdownOutput();
            assertThat(Net.readToEnd(bystander)).isEqualTo(after);
            assertThat(Net.plainEcho(server.localAddress(), after)).isEqualTo(after);
        }
    }

    @Test
    void peerResetWhileTheServerHasUnsentBytesFailsTheSendWithAnExceptionNamingThePeer() throws Exception {
        Net.EchoHandler echo = startEchoServer(TcpOptions.builder().sendBufferSize(4096).build());
        Socket victim = new Socket();
        victim.setReceiveBufferSize(4096);
        victim.connect(server.localAddress(), 10_000);
        Net.Served served = echo.next();
        // The client writes flat out and never reads: with tiny kernel buffers the server's echo
        // soon holds bytes the kernel refused, and waits for OP_WRITE.
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = victim.getOutputStream();
                byte[] chunk = new byte[8192];
                for (;;) {
                    out.write(chunk);
                }
            } catch (Exception e) {
                // the socket was reset under the writer: expected
            }
        });
        served.tap().whenBytes(48 * 1024).get(10, TimeUnit.SECONDS);
        victim.setSoLinger(true, 0);
        victim.close(); // RST while the server has unsent bytes
        writer.get(10, TimeUnit.SECONDS);

        assertResetNamingPeer(served, "127.0.0.1:" + victim.getLocalPort());
        byte[] after = Net.random(3000, 23);
        assertThat(Net.plainEcho(server.localAddress(), after)).isEqualTo(after);
        await(echo.next().connection().onClose());
        assertThat(server.openConnections()).isZero();
    }

    private static void assertResetNamingPeer(Net.Served served, String peer) throws Exception {
        // Reset seen on read or on write, the cause is the same for both directions.
        Throwable echoError = served.echo().awaitError();
        assertThat(echoError).isInstanceOf(ConnectionResetException.class).hasMessageContaining(peer);
        Throwable inboundError = awaitFailure(served.tap().terminal);
        assertThat(inboundError).isInstanceOf(ConnectionResetException.class).hasMessageContaining(peer);
        await(served.connection().onClose());
        assertThat(served.connection().isOpen()).isFalse();
    }

    @Test
    void aReaderThatStopsReadingStopsTheServerReadingAndMemoryStaysBounded() throws Exception {
        int highWaterMark = 64 * 1024;
        int readBuffer = 16 * 1024;
        Net.EchoHandler echo = startEchoServer(TcpOptions.builder()
                .writeHighWaterMark(highWaterMark).readBufferSize(readBuffer)
                .sendBufferSize(4096).receiveBufferSize(4096).build());
        int total = 16 * MIB;
        Socket socket = new Socket();
        cleanup.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.setSendBufferSize(4096);
        socket.connect(server.localAddress(), 10_000);
        Net.Served served = echo.next();

        Net.FlatOutWriter writer = new Net.FlatOutWriter(socket, total, 31);
        Loop sampler = Loop.create("sampler");
        cleanup.add(() -> sampler.shutdownGracefully().get(10, TimeUnit.SECONDS));
        assertThat(writer.stalls(sampler, served.tap().bytes::get))
                .as("the writer finished %d MiB: nothing pushed back", total / MIB).isTrue();
        long serverRead = served.tap().bytes.get();
        // Bytes held by the server: at most the high-water mark plus one read. The rest of what
        // it read sits in the kernel: its 4 KiB send buffer and the client's 4 KiB receive buffer
        // (doubled by Linux, plus bookkeeping); 64 KiB is a generous allowance for them. Without
        // the high-water mark the server reads all 16 MiB and the writer never stalls.
        assertThat(serverRead).isLessThanOrEqualTo(highWaterMark + readBuffer + 64 * 1024L);
        assertThat(writer.written.get()).isLessThan(total);
        assertThat(served.echo().isTerminated()).isFalse();

        // Now the client reads: everything drains, intact.
        long[] received = Net.readToEndCounted(socket);
        writer.done.get(10, TimeUnit.SECONDS);
        assertThat(received[0]).isEqualTo(total);
        assertThat(received[1]).isEqualTo(writer.crc.getValue());
        served.echo().awaitComplete();
        await(served.connection().onClose());
    }

    // ---- helpers ------------------------------------------------------------------------

    /** {@code data} cut in pieces of 1..maxPiece bytes, handed out one per request, as a cold publisher. */
    private static Publisher<ByteBuffer> smallPieces(byte[] data, int maxPiece, long seed) {
        List<ByteBuffer> pieces = new ArrayList<>();
        Random sizes = new Random(seed);
        for (int i = 0; i < data.length; ) {
            int n = Math.min(data.length - i, 1 + sizes.nextInt(maxPiece));
            pieces.add(ByteBuffer.wrap(data, i, n).slice());
            i += n;
        }
        return Probe.publisherOf(pieces.toArray(ByteBuffer[]::new));
    }

    private static Throwable awaitFailure(CompletableFuture<?> future) throws Exception {
        try {
            future.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got completion");
    }

    /** Requests one chunk, then one more from inside each onNext. */
    private static final class OneAtATime implements Subscriber<ByteBuffer> {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final CRC32 crc = new CRC32();
        long total;
        int largestChunk;
        private Subscription subscription;

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(ByteBuffer chunk) {
            largestChunk = Math.max(largestChunk, chunk.remaining());
            total += chunk.remaining();
            crc.update(chunk);
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }
    }
}

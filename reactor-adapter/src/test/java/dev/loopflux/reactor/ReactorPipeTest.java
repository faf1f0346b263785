package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.LoopGroup;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;

/**
 * {@code out.send(in.receive())} sends the connection's inbound as it is, so loop-core writes what
 * it reads straight from the loop's read buffer; with any operator after {@code receive()} the
 * handler sees each chunk, and each is its own copy.
 */
@Timeout(60)
class ReactorPipeTest {
    private final LoopGroup group = LoopGroup.create("rpipe", 1);

    @AfterEach
    void stop() {
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    @Test
    void sendingReceiveAsItIsCopiesNothingAndAnOperatorAfterItSeesEveryChunk() throws Exception {
        long total = 16L << 20;
        long piped = loopAllocationDuringLockstepEcho((in, out) -> out.send(in.receive()), total);
        long mapped = loopAllocationDuringLockstepEcho((in, out) -> out.send(in.receive().map(b -> b)), total);

        assertThat(mapped).as("the control: every chunk the handler sees is a copy").isGreaterThanOrEqualTo(total);
        assertThat(piped).as("bytes the loop allocated while echoing %d MiB with out.send(in.receive())", total >> 20)
                .isLessThan(total / 32);
    }

    @Test
    void whatAnOperatorAfterReceiveMakesOfTheBytesIsWhatIsSent() throws Exception {
        DisposableServer server = TcpServer.create().port(0).runOn(group)
                .handle((in, out) -> out.send(in.receive().map(ReactorPipeTest::upperCase))).bindNow();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            assertThat(new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("HELLO");
        } finally {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }

    private static ByteBuffer upperCase(ByteBuffer chunk) {
        ByteBuffer upper = ByteBuffer.allocate(chunk.remaining());
        while (chunk.hasRemaining()) {
            upper.put((byte) Character.toUpperCase(chunk.get()));
        }
        return upper.flip();
    }

    @Test
    void aProxyBetweenTwoConnectionsOfOneLoopIsAPipeToo() throws Exception {
        DisposableServer backend = TcpServer.create().port(0).runOn(group).handle((in, out) -> out.send(in.receive())).bindNow();
        long total = 16L << 20;
        try {
            long piped = loopAllocationDuringLockstepEcho((in, out) -> TcpClient.create().port(backend.port()).runOn(group).connect()
                    .flatMap(back -> back.outbound().send(in.receive()).and(out.send(back.inbound().receive()))
                            .doFinally(signal -> back.dispose())), total);
            // Two pipes per round trip, the proxy's and the backend's echo, all on the one loop.
            assertThat(piped).as("bytes the loop allocated while proxying %d MiB", total >> 20).isLessThan(total / 32);
        } finally {
            backend.disposeNow(Duration.ofSeconds(5));
        }
    }

    /**
     * Serves {@code handler}, echoes {@code total} bytes through it in lockstep (16 KiB out and the
     * same back before the next: the kernel never refuses the echo) and returns the bytes the
     * loop thread allocated meanwhile.
     */
    private long loopAllocationDuringLockstepEcho(
            BiFunction<TcpInbound, TcpOutbound, Publisher<Void>> handler, long total) throws Exception {
        CompletableFuture<Long> id = new CompletableFuture<>();
        group.next().execute(() -> id.complete(Thread.currentThread().getId()));
        long loopThread = id.get(10, TimeUnit.SECONDS);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        DisposableServer server = TcpServer.create().port(0).runOn(group).handle(handler).bindNow();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            byte[] out = new byte[16 * 1024];
            new Random(3).nextBytes(out);
            byte[] back = new byte[out.length];
            OutputStream os = socket.getOutputStream();
            InputStream is = socket.getInputStream();
            for (int i = 0; i < 64; i++) { // warm up: the handler is set up, the read buffer grown
                os.write(out);
                is.readNBytes(back, 0, back.length);
            }
            long before = threads.getThreadAllocatedBytes(loopThread);
            for (long sent = 0; sent < total; sent += out.length) {
                os.write(out);
                assertThat(is.readNBytes(back, 0, back.length)).isEqualTo(back.length);
            }
            long after = threads.getThreadAllocatedBytes(loopThread);
            assertThat(ByteBuffer.wrap(back)).isEqualTo(ByteBuffer.wrap(out));
            return after - before;
        } finally {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }
}

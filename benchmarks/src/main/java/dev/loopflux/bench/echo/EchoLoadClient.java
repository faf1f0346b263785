package dev.loopflux.bench.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The one load client every echo server is measured with: a single-thread NIO client that keeps
 * {@code inflight} messages of {@code size} bytes in flight on each of {@code connections}
 * connections. Each message carries its send time in its first 8 bytes, so the round trip is
 * measured when the echo of the message is complete.
 */
final class EchoLoadClient {

    /** What a run measured, after its warm-up. */
    record Result(long messages, double seconds, Histogram latencyNanos) {
        double messagesPerSecond() {
            return messages / seconds;
        }
    }

    private EchoLoadClient() {
    }

    static Result run(int port, int connections, int inflight, int size, Duration warmup, Duration measure) throws IOException {
        if (size < 8) {
            throw new IllegalArgumentException("size < 8: " + size);
        }
        Histogram histogram = new Histogram(60_000_000_000L, 3);
        try (Selector selector = Selector.open()) {
            List<Conn> all = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    channel.configureBlocking(false);
                    Conn conn = new Conn(channel, size, inflight);
                    conn.key = channel.register(selector, SelectionKey.OP_READ, conn);
                    all.add(conn);
                }
                for (Conn conn : all) {
                    for (int i = 0; i < inflight; i++) {
                        conn.queueMessage();
                    }
                    conn.flush();
                }
                long start = System.nanoTime();
                long measureStart = start + warmup.toNanos();
                long end = measureStart + measure.toNanos();
                long[] counted = {0};
                boolean measuring = false;
                for (long now = start; now < end; now = System.nanoTime()) {
                    if (!measuring && now >= measureStart) {
                        measuring = true;
                        histogram.reset();
                        counted[0] = 0;
                    }
                    boolean record = measuring;
                    selector.select(key -> ((Conn) key.attachment()).ready(key, histogram, counted, record), 10);
                }
                return new Result(counted[0], measure.toNanos() / 1e9, histogram);
            } finally {
                for (Conn conn : all) {
                    conn.channel.close();
                }
            }
        }
    }

    /** One client connection: what it still has to write, and the partial echo it has read. */
    private static final class Conn {
        final SocketChannel channel;
        final int size;
        final ByteBuffer out;
        final ByteBuffer in;
        SelectionKey key;

        Conn(SocketChannel channel, int size, int inflight) {
            this.channel = channel;
            this.size = size;
            this.out = ByteBuffer.allocate(size * inflight * 2);
            this.in = ByteBuffer.allocate(Math.max(65536, size * inflight * 2));
        }

        void queueMessage() {
            int start = out.position();
            out.putLong(System.nanoTime());
            out.position(start + size);
        }

        void flush() {
            out.flip();
            try {
                channel.write(out);
            } catch (IOException e) {
                throw new IllegalStateException("write failed", e);
            }
            out.compact();
            key.interestOps(out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        void ready(SelectionKey key, Histogram histogram, long[] counted, boolean record) {
            if (key.isReadable()) {
                int n;
                try {
                    n = channel.read(in);
                } catch (IOException e) {
                    throw new IllegalStateException("read failed", e);
                }
                if (n < 0) {
                    throw new IllegalStateException("server closed the connection");
                }
                in.flip();
                long now = System.nanoTime();
                while (in.remaining() >= size) {
                    long sent = in.getLong(in.position());
                    in.position(in.position() + size);
                    if (record) {
                        histogram.recordValue(Math.max(0, now - sent));
                        counted[0]++;
                    }
                    queueMessage();
                }
                in.compact();
            }
            flush();
        }
    }
}

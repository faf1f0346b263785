package dev.loopflux.bench.echo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.HdrHistogram.Histogram;

/**
 * The one load client every echo server is measured with: a single-thread NIO client that keeps
 * {@code inflight} messages of {@code size} bytes in flight on each of {@code connections}
 * connections. Each message carries its send time in its first 8 bytes, so the round trip is
 * measured when the echo of the message is complete.
 *
 * <p>With a TLS context, each connection does its handshake (blocking, before the run starts)
 * with a JDK {@link javax.net.ssl.SSLEngine} and then speaks TLS ({@link ClientChannel.Tls}).
 * With {@code verify}, each message also carries its sequence number on its connection and a
 * pattern made from it, and every echo is checked against them (for smoke tests: it costs the
 * client time). A run in which a connection had no echo at all fails.
 */
final class EchoLoadClient {

    /** What a run measured, after its warm-up; {@code session} is "plain" or the TLS protocol and cipher suite. */
    record Result(long messages, double seconds, Histogram latencyNanos, String session) {
        double messagesPerSecond() {
            return messages / seconds;
        }
    }

    private EchoLoadClient() {
    }

    static Result run(int port, int connections, int inflight, int size, Duration warmup, Duration measure) throws IOException {
        return run(port, connections, inflight, size, warmup, measure, null, false);
    }

    /** {@code tls} null: plain TCP. */
    static Result run(int port, int connections, int inflight, int size, Duration warmup, Duration measure, SSLContext tls,
            boolean verify) throws IOException {
        if (size < (verify ? 16 : 8)) {
            throw new IllegalArgumentException("size < " + (verify ? 16 : 8) + ": " + size);
        }
        Histogram histogram = new Histogram(60_000_000_000L, 3);
        try (Selector selector = Selector.open()) {
            List<Conn> all = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    ClientChannel channel = ClientChannel.open(port, tls);
                    Conn conn = new Conn(i, channel, size, inflight, verify);
                    all.add(conn); // closed below even if what follows fails
                    channel.socket().configureBlocking(false);
                    conn.key = channel.socket().register(selector, SelectionKey.OP_READ, conn);
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
                for (Conn conn : all) {
                    if (conn.echoes == 0) {
                        // A stalled connection would otherwise only lower the rate.
                        throw new IllegalStateException("connection " + conn.id + " of " + connections + ": no echo in the whole run");
                    }
                }
                if (all.size() > 1) { // fairness: a server that favours some connections starves the others
                    long min = Long.MAX_VALUE;
                    long max = 0;
                    for (Conn conn : all) {
                        min = Math.min(min, conn.echoes);
                        max = Math.max(max, conn.echoes);
                    }
                    System.err.println("[load client] echoes per connection: min " + min + ", max " + max);
                }
                String session = all.isEmpty() ? "none" : all.get(0).channel.describe();
                return new Result(counted[0], measure.toNanos() / 1e9, histogram, session);
            } finally {
                for (Conn conn : all) {
                    conn.channel.close();
                }
            }
        }
    }

    /** One client connection: what it still has to write, and the partial echo it has read. */
    private static final class Conn {
        final int id;
        final ClientChannel channel;
        final int size;
        final boolean verify;
        final ByteBuffer out;
        final ByteBuffer in;
        SelectionKey key;
        long sentSeq;
        long receivedSeq;
        long echoes;

        Conn(int id, ClientChannel channel, int size, int inflight, boolean verify) {
            this.id = id;
            this.channel = channel;
            this.size = size;
            this.verify = verify;
            this.out = ByteBuffer.allocate(size * inflight * 2);
            this.in = ByteBuffer.allocate(Math.max(65536, size * inflight * 2));
        }

        void queueMessage() {
            int start = out.position();
            out.putLong(System.nanoTime());
            if (verify) {
                long seq = sentSeq++;
                out.putLong(seq);
                for (int i = 16; i < size; i++) {
                    out.put(pattern(seq, i));
                }
            }
            out.position(start + size);
        }

        private static byte pattern(long seq, int i) {
            return (byte) (seq * 31 + i);
        }

        private void check(int start) {
            long seq = in.getLong(start + 8);
            if (seq != receivedSeq) {
                throw new IllegalStateException("connection " + id + ": echo " + receivedSeq + " came back as message " + seq);
            }
            for (int i = 16; i < size; i++) {
                if (in.get(start + i) != pattern(seq, i)) {
                    throw new IllegalStateException("connection " + id + ": echo " + seq + " differs at byte " + i);
                }
            }
            receivedSeq++;
        }

        void flush() {
            out.flip();
            try {
                channel.write(out);
            } catch (IOException e) {
                throw new IllegalStateException("write failed", e);
            }
            out.compact();
            boolean writeInterest = out.position() > 0 || channel.hasPendingWrites();
            key.interestOps(writeInterest ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        void ready(SelectionKey key, Histogram histogram, long[] counted, boolean record) {
            if (key.isReadable()) {
                do {
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
                        if (verify) {
                            check(in.position());
                        }
                        in.position(in.position() + size);
                        echoes++;
                        if (record) {
                            histogram.recordValue(Math.max(0, now - sent));
                            counted[0]++;
                        }
                        queueMessage();
                    }
                    in.compact();
                } while (channel.hasBufferedInput());
            }
            flush();
        }
    }
}

package dev.loopflux.samples;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * The demo's load client: one thread, one plain NIO {@link Selector}, {@code connections}
 * connections, each keeping {@code inflight} messages of {@code size} bytes in flight against an
 * echo server. Each message carries its send time in its first 8 bytes, so a round trip is
 * measured when the whole echo of the message is back. (The benchmarks' load client works the
 * same way; samples keep their own copy so they do not depend on the benchmarks.)
 *
 * <p>Threading: not thread-safe; one thread makes all calls. Its buffers are direct, so the
 * heap the demo measures per connection holds the client's sockets but not its buffers.
 */
final class LoadClient implements AutoCloseable {
    /** At most this many round trips are kept for percentiles (16 MiB); past it, a uniform sample of them. */
    private static final int MAX_SAMPLES = 1 << 21;

    /** What a run measured. {@code latencyNanos} is sorted. */
    record Result(long messages, double seconds, long[] latencyNanos) {
        double messagesPerSecond() {
            return messages / seconds;
        }

        /** Nearest-rank percentile of the round trips, in nanoseconds; 0 if none. */
        long percentile(double p) {
            if (latencyNanos.length == 0) {
                return 0;
            }
            int rank = (int) Math.ceil(p / 100.0 * latencyNanos.length);
            return latencyNanos[Math.min(latencyNanos.length - 1, Math.max(0, rank - 1))];
        }
    }

    private final Selector selector;
    private final List<Conn> conns = new ArrayList<>();
    private final int inflight;
    private final int size;
    /** Round trips of the current run (a reservoir sample once more than MAX_SAMPLES). */
    private long[] samples = new long[0];
    private final SplittableRandom random = new SplittableRandom(42);
    /** Echoes completed since the run started; all recorded, only a sample of them kept. */
    private long echoes;
    /** True under load: each echo is kept and replaced by a new message; false during the first round trip. */
    private boolean refill;

    private LoadClient(Selector selector, int inflight, int size) {
        this.selector = selector;
        this.inflight = inflight;
        this.size = size;
    }

    /** Opens {@code connections} connections to {@code server} (blocking connects, then non-blocking IO). */
    static LoadClient connect(InetSocketAddress server, int connections, int inflight, int size) throws IOException {
        if (size < Long.BYTES) {
            throw new IllegalArgumentException("size < 8 (the send time takes 8 bytes): " + size);
        }
        LoadClient client = new LoadClient(Selector.open(), inflight, size);
        try {
            for (int i = 0; i < connections; i++) {
                SocketChannel channel = SocketChannel.open(server);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.configureBlocking(false);
                Conn conn = new Conn(channel, size, inflight);
                conn.key = channel.register(client.selector, SelectionKey.OP_READ, conn);
                client.conns.add(conn);
            }
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /**
     * Sends one message on every connection and waits until every echo is back: after this the
     * server has set up (and used) every connection.
     */
    void roundTripEach(Duration timeout) throws IOException {
        refill = false;
        echoes = 0;
        for (Conn conn : conns) {
            conn.queueMessage();
            conn.flush();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (echoes < conns.size()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("only " + echoes + " of " + conns.size() + " echoes came back within " + timeout);
            }
            selector.select(this::ready, 10);
        }
    }

    /**
     * Keeps {@code inflight} messages in flight on every connection for {@code duration}; once a
     * second, tells {@code perSecond} how many echoes came back in that second.
     */
    Result run(Duration duration, LongConsumer perSecond) throws IOException {
        refill = true;
        echoes = 0;
        for (Conn conn : conns) {
            for (int i = 0; i < inflight; i++) {
                conn.queueMessage();
            }
            conn.flush();
        }
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long nextTick = start + 1_000_000_000L;
        long echoesAtTick = 0;
        for (;;) {
            selector.select(this::ready, 10);
            long now = System.nanoTime(); // one reading for both checks: the last second is always told
            if (now >= nextTick && nextTick <= end) {
                perSecond.accept(echoes - echoesAtTick);
                echoesAtTick = echoes;
                nextTick += 1_000_000_000L;
            }
            if (now >= end) {
                break;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] kept = Arrays.copyOf(samples, (int) Math.min(echoes, samples.length));
        Arrays.sort(kept);
        return new Result(echoes, seconds, kept);
    }

    private void ready(SelectionKey key) {
        Conn conn = (Conn) key.attachment();
        try {
            if (key.isReadable()) {
                conn.read(this);
            }
            conn.flush();
        } catch (IOException e) {
            throw new IllegalStateException("connection to the echo server failed", e);
        }
    }

    /** One complete echo. Under load its round trip is kept, and a new message replaces it. */
    private void echoed(Conn conn, long roundTripNanos) {
        if (refill) {
            keep(roundTripNanos);
            conn.queueMessage();
        }
        echoes++;
    }

    /** Keeps every round trip up to MAX_SAMPLES, then a uniform sample of them (reservoir sampling). */
    private void keep(long nanos) {
        long seen = echoes; // before this one
        if (seen < MAX_SAMPLES) {
            if (seen == samples.length) {
                samples = Arrays.copyOf(samples, Math.max(1024, samples.length * 2));
            }
            samples[(int) seen] = nanos;
        } else {
            long slot = random.nextLong(seen + 1);
            if (slot < MAX_SAMPLES) {
                samples[(int) slot] = nanos;
            }
        }
    }

    /** Closes every connection; the echo server sees each one end. */
    @Override
    public void close() throws IOException {
        for (Conn conn : conns) {
            conn.channel.close();
        }
        selector.close();
    }

    /** One connection: what it still has to write, and the part of an echo it has read. */
    private static final class Conn {
        final SocketChannel channel;
        final int size;
        /** Messages not yet written; room for every message in flight, twice. */
        final ByteBuffer out;
        /** Echoed bytes not yet a whole message; the server can never owe more than the messages in flight. */
        final ByteBuffer in;
        SelectionKey key;

        Conn(SocketChannel channel, int size, int inflight) {
            this.channel = channel;
            this.size = size;
            this.out = ByteBuffer.allocateDirect(size * inflight * 2);
            this.in = ByteBuffer.allocateDirect(size * inflight * 2);
        }

        void queueMessage() {
            int start = out.position();
            out.putLong(start, System.nanoTime());
            out.position(start + size);
        }

        void flush() throws IOException {
            out.flip();
            channel.write(out);
            out.compact();
            key.interestOps(out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        void read(LoadClient client) throws IOException {
            if (channel.read(in) < 0) {
                throw new IOException("the echo server closed the connection");
            }
            in.flip();
            long now = System.nanoTime();
            while (in.remaining() >= size) {
                long sent = in.getLong(in.position());
                in.position(in.position() + size);
                client.echoed(this, Math.max(0, now - sent));
            }
            in.compact();
        }
    }
}

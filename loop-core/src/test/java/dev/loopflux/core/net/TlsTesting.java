package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import dev.loopflux.core.TimerHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.zip.CRC32;

/** Helpers of the TLS adversarial tests: threads of their own, stall detection, a look at what a TLS connection holds. */
final class TlsTesting {
    private TlsTesting() {
    }

    interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} on a new thread of its own (not the common pool, which has one thread on
     * a two-core machine and would run two peers one after the other).
     */
    static CompletableFuture<Void> async(String name, Body body) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                body.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    static Throwable awaitFailure(CompletableFuture<?> future) throws Exception {
        try {
            future.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got completion");
    }

    /**
     * Reads the peer's plaintext to {@code close_notify} into {@code crc}; returns how many bytes.
     * If a read times out, fails with what the server's side of the connection holds and wants,
     * and what the kernel holds for both sockets: enough to tell a lost readiness from a stalled
     * TCP connection.
     */
    static long readToCloseNotify(TlsPeer peer, CRC32 crc, Connection serverSide) throws Exception {
        long received = 0;
        try {
            for (byte[] plain; (plain = peer.readData()) != null; ) {
                crc.update(plain);
                received += plain.length;
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the peer waited in vain after " + received + " bytes; " + state(serverSide), e);
        }
        return received;
    }

    /** The state of a connection, read on its loop, and the kernel's queues of its socket's port. */
    static String state(Connection connection) throws Exception {
        TcpConnection c = (TcpConnection) connection;
        CompletableFuture<String> state = new CompletableFuture<>();
        c.loop.execute(() -> {
            StringBuilder b = new StringBuilder();
            for (Object o : new Object[] {c, c.outbound, c.inbound, c.tls}) {
                for (Field f : o.getClass().getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers())) {
                        continue;
                    }
                    try {
                        f.setAccessible(true);
                        Object v = f.get(o);
                        b.append(o.getClass().getSimpleName()).append('.').append(f.getName()).append('=')
                                .append(v instanceof Collection<?> all ? "size " + all.size() : String.valueOf(v)).append("; ");
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        b.append(f.getName()).append(": ").append(e).append("; ");
                    }
                }
            }
            state.complete(b.toString());
        });
        StringBuilder b = new StringBuilder(state.get(10, TimeUnit.SECONDS));
        // /proc/net/tcp6 (Java's sockets are IPv6 ones with mapped IPv4 addresses): tx_queue:rx_queue, timer, retransmits
        if (connection.localAddress() instanceof InetSocketAddress local) {
            String port = String.format(":%04X ", local.getPort());
            for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                Path path = Path.of(table);
                if (Files.isReadable(path)) {
                    for (String line : Files.readAllLines(path)) {
                        if (line.contains(port)) {
                            b.append("\n  ").append(line.trim());
                        }
                    }
                }
            }
        }
        return b.toString();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * Completes with the last values of {@code counters} once none of them has moved for
     * {@code samples} samples in a row, sampled every 20 ms on a timer of {@code sampler}.
     */
    static CompletableFuture<long[]> whenStalled(Loop sampler, int samples, LongSupplier... counters) {
        CompletableFuture<long[]> stalled = new CompletableFuture<>();
        long[] last = new long[counters.length];
        java.util.Arrays.fill(last, -1);
        int[] still = {0};
        TimerHandle[] timer = new TimerHandle[1];
        timer[0] = sampler.scheduleAtFixedRate(() -> {
            boolean moved = false;
            for (int i = 0; i < counters.length; i++) {
                long now = counters[i].getAsLong();
                if (now != last[i]) {
                    moved = true;
                    last[i] = now;
                }
            }
            still[0] = moved ? 0 : still[0] + 1;
            if (still[0] >= samples && !stalled.isDone()) {
                stalled.complete(last.clone());
            }
        }, 20, 20, TimeUnit.MILLISECONDS);
        stalled.whenComplete((v, e) -> timer[0].cancel());
        return stalled;
    }

    /**
     * What a TLS connection holds in memory, sampled on its loop (where its state lives) every
     * millisecond: the outbound's pending plaintext, and the TLS layer's records read and not yet
     * unwrapped ({@code netIn}), plaintext unwrapped and not yet delivered ({@code appIn}) and
     * records wrapped and not yet taken by the kernel ({@code netOut}). The maxima are kept, and
     * how many samples found records held back mid-write or mid-read.
     */
    static final class Held implements AutoCloseable {
        private static final Field TLS_NET_IN = field("netIn");
        private static final Field TLS_APP_IN = field("appIn");
        private static final Field TLS_NET_OUT = field("netOut");

        final AtomicLong maxPending = new AtomicLong();
        final AtomicLong maxNetIn = new AtomicLong();
        final AtomicLong maxAppIn = new AtomicLong();
        final AtomicLong maxNetOut = new AtomicLong();
        final AtomicLong maxTotal = new AtomicLong();
        final AtomicLong samples = new AtomicLong();
        /** Samples that found wrapped records the kernel had not taken: a partial write happened. */
        final AtomicLong netOutSeen = new AtomicLong();
        /** Samples that found records read and kept for later: a read ended mid-record, or without demand. */
        final AtomicLong netInSeen = new AtomicLong();
        private final TcpConnection connection;
        private final TimerHandle timer;

        private Held(TcpConnection connection) {
            this.connection = connection;
            this.timer = connection.loop.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.MILLISECONDS);
        }

        static Held sample(Connection connection) {
            return new Held((TcpConnection) connection);
        }

        void stop() {
            timer.cancel();
        }

        @Override
        public void close() {
            stop();
        }

        private void sample() {
            if (!connection.isOpen()) {
                return;
            }
            TlsLayer tls = connection.tls;
            long pending = connection.outbound.pendingBytes();
            long netIn = remaining(TLS_NET_IN, tls);
            long appIn = remaining(TLS_APP_IN, tls);
            long netOut = remaining(TLS_NET_OUT, tls);
            maxPending.accumulateAndGet(pending, Math::max);
            maxNetIn.accumulateAndGet(netIn, Math::max);
            maxAppIn.accumulateAndGet(appIn, Math::max);
            maxNetOut.accumulateAndGet(netOut, Math::max);
            maxTotal.accumulateAndGet(pending + netIn + appIn + netOut, Math::max);
            if (netOut > 0) {
                netOutSeen.incrementAndGet();
            }
            if (netIn > 0) {
                netInSeen.incrementAndGet();
            }
            samples.incrementAndGet();
        }

        @Override
        public String toString() {
            return "held at most: pending " + maxPending + ", netIn " + maxNetIn + ", appIn " + maxAppIn + ", netOut " + maxNetOut
                    + ", all together " + maxTotal + " (" + samples + " samples; netOut held in " + netOutSeen
                    + ", netIn held in " + netInSeen + ")";
        }

        private static long remaining(Field field, TlsLayer tls) {
            try {
                ByteBuffer buffer = (ByteBuffer) field.get(tls);
                return buffer == null ? 0 : buffer.remaining();
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        private static Field field(String name) {
            try {
                Field f = TlsLayer.class.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException("TlsLayer." + name + " is gone: update this test's look at what TLS holds", e);
            }
        }
    }
}

package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/** Fixtures shared by the network tests: an echo handler, a byte-counting tap, one-shot clients. */
final class Net {
    static final InetSocketAddress LOCALHOST_ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private Net() {
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static long crc(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        return crc.getValue();
    }

    /** Open file descriptors of this process (Linux), or -1 where /proc is missing. */
    static int openFileDescriptors() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        return fileDescriptorTargets().size();
    }

    /** What each open descriptor points to ({@code fd -> target}), for messages; empty without /proc. */
    static java.util.SortedMap<Integer, String> fileDescriptorTargets() {
        java.util.SortedMap<Integer, String> targets = new java.util.TreeMap<>();
        Path fds = Path.of("/proc/self/fd");
        try (Stream<Path> list = Files.list(fds)) {
            list.forEach(p -> {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (!target.equals("/proc/" + ProcessHandle.current().pid() + "/fd")) { // the listing's own
                        targets.put(Integer.parseInt(p.getFileName().toString()), target);
                    }
                } catch (IOException | NumberFormatException e) {
                    // closed while listing: not open any more
                }
            });
        } catch (IOException e) {
            // no /proc: nothing to describe
        }
        return targets;
    }

    /**
     * Awaits the open descriptor count to be at most {@code limit}, letting each loop select
     * between counts (a closed channel's descriptor is released by its loop's next select).
     *
     * @return the last count
     */
    static int awaitFileDescriptorsAtMost(int limit, Loop... loops) throws Exception {
        int count = openFileDescriptors();
        for (int i = 0; i < 20 && count > limit; i++) {
            for (Loop loop : loops) {
                passSelect(loop);
            }
            count = openFileDescriptors();
        }
        return count;
    }

    /**
     * Returns once {@code loop} has selected at least once after this call: a closed channel's
     * descriptor is released when its key is deregistered, which happens in select. A timer is
     * run after the select of the iteration after the one that adds it.
     */
    static void passSelect(Loop loop) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.schedule(() -> done.complete(null), 0, TimeUnit.NANOSECONDS);
        done.get(10, TimeUnit.SECONDS);
    }

    /** Reads until end of stream, with a read timeout so that a broken server fails the test, not hangs it. */
    static byte[] readToEnd(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        return in.readAllBytes();
    }

    /** Writes {@code data}, half-closes, reads the echo to the end. */
    static byte[] plainEcho(SocketAddress server, byte[] data) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(server, 10_000);
            socket.getOutputStream().write(data);
            socket.shutdownOutput();
            return readToEnd(socket);
        }
    }

    /**
     * A client connection through {@link TcpClient}: sends {@code data}, half-closes, collects the
     * echo to the end and waits for the connection to close by itself (both sides shut down).
     */
    static CompletableFuture<byte[]> echoOnce(Loop loop, SocketAddress server, TcpOptions options, byte[] data) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        TcpClient.connect(loop, server, options).subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(1);
            }

            @Override
            public void onNext(Connection connection) {
                Recorder<ByteBuffer> in = Recorder.subscribe(connection.inbound(), Long.MAX_VALUE);
                Recorder<Void> sent = Recorder.subscribe(connection.send(Probe.publisherOf(ByteBuffer.wrap(data))), 1);
                sent.terminal.whenComplete((v, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        connection.shutdownOutput();
                    }
                });
                in.terminal
                        .thenCompose(v -> connection.onClose())
                        .whenComplete((v, e) -> {
                            if (e != null) {
                                result.completeExceptionally(e);
                            } else {
                                result.complete(in.bytes());
                            }
                        });
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
            }
        });
        return result;
    }

    /**
     * A pass-through publisher that counts the bytes and chunks going through it and records the
     * terminal signal: what a server read, seen from outside the library.
     */
    static final class Tap implements Publisher<ByteBuffer> {
        private final Publisher<ByteBuffer> source;
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong chunks = new AtomicLong();
        final CompletableFuture<Void> terminal = new CompletableFuture<>();
        private final List<long[]> thresholds = new ArrayList<>();
        private final List<CompletableFuture<Void>> thresholdFutures = new ArrayList<>();

        Tap(Publisher<ByteBuffer> source) {
            this.source = source;
        }

        /** Completes once at least {@code n} bytes went through. */
        synchronized CompletableFuture<Void> whenBytes(long n) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            if (bytes.get() >= n) {
                f.complete(null);
            } else {
                thresholds.add(new long[] {n});
                thresholdFutures.add(f);
            }
            return f;
        }

        private synchronized void passed(int n) {
            long total = bytes.addAndGet(n);
            chunks.incrementAndGet();
            for (int i = thresholds.size() - 1; i >= 0; i--) {
                if (total >= thresholds.get(i)[0]) {
                    thresholds.remove(i);
                    thresholdFutures.remove(i).complete(null);
                }
            }
        }

        @Override
        public void subscribe(Subscriber<? super ByteBuffer> downstream) {
            source.subscribe(new Subscriber<>() {
                @Override
                public void onSubscribe(Subscription s) {
                    downstream.onSubscribe(s);
                }

                @Override
                public void onNext(ByteBuffer buffer) {
                    passed(buffer.remaining());
                    downstream.onNext(buffer);
                }

                @Override
                public void onError(Throwable t) {
                    terminal.completeExceptionally(t);
                    downstream.onError(t);
                }

                @Override
                public void onComplete() {
                    terminal.complete(null);
                    downstream.onComplete();
                }
            });
        }
    }

    /**
     * Writes {@code total} random bytes to a socket as fast as it takes them, on another thread,
     * then half-closes; counts them as they go and checksums them ({@link #crc} is read once
     * {@link #done} completed).
     */
    static final class FlatOutWriter {
        final AtomicLong written = new AtomicLong();
        final CRC32 crc = new CRC32();
        final CompletableFuture<Void> done;

        FlatOutWriter(Socket socket, long total, long seed) {
            done = new CompletableFuture<>();
            Thread writer = new Thread(() -> { // a thread of its own: it blocks, and tests run many at once
                try {
                    java.io.OutputStream out = socket.getOutputStream();
                    Random random = new Random(seed);
                    byte[] chunk = new byte[8192];
                    while (written.get() < total) {
                        random.nextBytes(chunk);
                        out.write(chunk);
                        crc.update(chunk);
                        written.addAndGet(chunk.length);
                    }
                    socket.shutdownOutput();
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            }, "flat-out-writer");
            writer.setDaemon(true);
            writer.start();
        }

        /**
         * True once neither this writer nor any of {@code others} has moved for 15 samples in a
         * row, 20 ms apart, taken on a timer of {@code sampler}; false if the writer finished
         * first (nothing pushed back). Waits 20 s at most.
         */
        boolean stalls(Loop sampler, java.util.function.LongSupplier... others) throws Exception {
            CompletableFuture<Boolean> stalled = new CompletableFuture<>();
            long[] last = new long[others.length + 1];
            java.util.Arrays.fill(last, -1);
            int[] still = {0};
            dev.loopflux.core.TimerHandle sampling = sampler.scheduleAtFixedRate(() -> {
                boolean moved = false;
                for (int i = 0; i <= others.length; i++) {
                    long now = i == 0 ? written.get() : others[i - 1].getAsLong();
                    moved |= now != last[i];
                    last[i] = now;
                }
                still[0] = moved ? 0 : still[0] + 1;
                if (still[0] >= 15) {
                    stalled.complete(true);
                }
            }, 20, 20, TimeUnit.MILLISECONDS);
            try {
                return (Boolean) CompletableFuture.anyOf(stalled, done.thenApply(v -> false)).get(20, TimeUnit.SECONDS);
            } finally {
                sampling.cancel();
            }
        }
    }

    /** Writes {@code data} in pieces of 1 to {@code maxPiece} bytes (sizes from {@code seed}), then half-closes. */
    static void writeInPieces(Socket socket, byte[] data, int maxPiece, long seed) {
        try {
            java.io.OutputStream out = socket.getOutputStream();
            Random sizes = new Random(seed);
            for (int i = 0; i < data.length; ) {
                int n = Math.min(data.length - i, 1 + sizes.nextInt(maxPiece));
                out.write(data, i, n);
                i += n;
            }
            socket.shutdownOutput();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code data} in pieces ({@link #writeInPieces}) on another thread while reading the
     * echo one byte per read system call to the end of stream, and checks it is {@code data}.
     */
    static void assertEchoedOneByteAtATime(Socket socket, byte[] data, int maxPiece, long seed) throws Exception {
        socket.setSoTimeout(10_000);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeInPieces(socket, data, maxPiece, seed));
        CRC32 crc = new CRC32();
        long total = 0;
        InputStream in = socket.getInputStream();
        for (int b; (b = in.read()) >= 0; ) {
            crc.update(b);
            total++;
        }
        writer.get(10, TimeUnit.SECONDS);
        org.assertj.core.api.Assertions.assertThat(total).isEqualTo(data.length);
        org.assertj.core.api.Assertions.assertThat(crc.getValue()).isEqualTo(crc(data));
    }

    /** Reads until end of stream: {bytes read, their CRC32}. */
    static long[] readToEndCounted(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[65536];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            crc.update(buffer, 0, n);
            total += n;
        }
        return new long[] {total, crc.getValue()};
    }

    /** One connection served by {@link EchoHandler}: what it read, and how its echo ended. */
    record Served(Connection connection, Tap tap, Recorder<Void> echo) {
    }

    /**
     * Serves every accepted connection with {@code send(inbound)}: output shut down after the
     * echo, connection closed if the echo fails.
     */
    static final class EchoHandler implements Subscriber<Connection> {
        final BlockingQueue<Served> served = new LinkedBlockingQueue<>();
        final CompletableFuture<Void> terminal = new CompletableFuture<>();

        static EchoHandler serve(TcpServer server) {
            EchoHandler handler = new EchoHandler();
            server.connections().subscribe(handler);
            return handler;
        }

        /** The next connection served, waiting up to 10 s. */
        Served next() throws InterruptedException {
            Served s = served.poll(10, TimeUnit.SECONDS);
            if (s == null) {
                throw new AssertionError("no connection served within 10 s");
            }
            return s;
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Connection connection) {
            Tap tap = new Tap(connection.inbound());
            Recorder<Void> echo = Recorder.requesting(1);
            echo.terminal.whenComplete((v, e) -> {
                if (e == null) {
                    connection.shutdownOutput();
                } else {
                    connection.close();
                }
            });
            served.add(new Served(connection, tap, echo));
            connection.send(tap).subscribe(echo);
        }

        @Override
        public void onError(Throwable t) {
            terminal.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            terminal.complete(null);
        }
    }

    /** Reads a whole stream into memory. */
    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}

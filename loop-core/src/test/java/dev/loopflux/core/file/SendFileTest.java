package dev.loopflux.core.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.net.Connection;
import dev.loopflux.core.net.TcpOptions;
import dev.loopflux.core.net.TcpServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * {@link Connection#sendFile} over loopback, read by a plain blocking socket on the test thread.
 * The server's handler is set per test; whatever it sends, it half-closes once the last send
 * completes, so the client reads to the end.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SendFileTest {
    @TempDir
    Path dir;
    private Loop loop;
    private TcpServer server;
    private volatile BiConsumer<Connection, CompletableFuture<Void>> handler;
    /** What the sends' subscribers saw: failures, and signals off the loop. */
    private final List<Throwable> sendErrors = new CopyOnWriteArrayList<>();
    private final List<String> offLoop = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        loop = Loop.create("sendfile-test");
        server = TcpServer.bind(loop, new InetSocketAddress("127.0.0.1", 0), TcpOptions.defaults());
        server.connections().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Connection c) {
                CompletableFuture<Void> last = new CompletableFuture<>();
                handler.accept(c, last);
                last.whenComplete((v, e) -> c.shutdownOutput());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    /** Subscribes to a send; completes {@code done} (if given) when it ends, either way. */
    private Subscriber<Void> completion(CompletableFuture<Void> done) {
        return new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                check("onSubscribe");
                s.request(1);
            }

            @Override
            public void onNext(Void v) {
            }

            @Override
            public void onError(Throwable t) {
                check("onError");
                sendErrors.add(t);
                if (done != null) {
                    done.complete(null);
                }
            }

            @Override
            public void onComplete() {
                check("onComplete");
                if (done != null) {
                    done.complete(null);
                }
            }

            private void check(String signal) {
                if (!loop.inLoop()) {
                    offLoop.add(signal + " on " + Thread.currentThread().getName());
                }
            }
        };
    }

    private static Publisher<ByteBuffer> text(String s) {
        return subscriber -> subscriber.onSubscribe(new Subscription() {
            private boolean sent;

            @Override
            public void request(long n) {
                if (!sent) {
                    sent = true;
                    subscriber.onNext(ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)));
                    subscriber.onComplete();
                }
            }

            @Override
            public void cancel() {
                sent = true;
            }
        });
    }

    /** Connects, reads to the end of stream; returns the bytes (or feeds them to {@code crc} when given). */
    private byte[] fetch(CRC32 crc, long[] count) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(server.localAddress(), 10_000);
            socket.setSoTimeout(30_000);
            InputStream in = socket.getInputStream();
            if (crc == null) {
                return in.readAllBytes();
            }
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                crc.update(buffer, 0, n);
                count[0] += n;
            }
            return null;
        }
    }

    @Test
    void sends256MiBInOrderWithTheSendsAroundIt() throws Exception {
        Path file = dir.resolve("big.bin");
        long size = 256L << 20;
        long fileCrc = FileReadTest.randomFile(file, size, 11);
        handler = (c, last) -> {
            c.send(text("HEAD")).subscribe(completion(null));
            c.sendFile(file).subscribe(completion(null));
            c.send(text("TAIL")).subscribe(completion(last));
        };

        CRC32 received = new CRC32();
        long[] count = new long[1];
        fetch(received, count);

        CRC32 expected = new CRC32();
        expected.update("HEAD".getBytes(StandardCharsets.US_ASCII));
        byte[] block = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(block)) >= 0) {
                expected.update(block, 0, n);
            }
        }
        expected.update("TAIL".getBytes(StandardCharsets.US_ASCII));
        assertThat(count[0]).isEqualTo(size + 8);
        assertThat(received.getValue()).isEqualTo(expected.getValue());
        assertThat(sendErrors).isEmpty();
        assertThat(offLoop).isEmpty();
        assertThat(fileCrc).isNotZero();
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void sendsOverAUnixDomainSocket() throws Exception {
        Path file = dir.resolve("unix.bin");
        byte[] data = new byte[5_000_000];
        new java.util.Random(14).nextBytes(data);
        Files.write(file, data);
        java.net.UnixDomainSocketAddress address = java.net.UnixDomainSocketAddress.of(dir.resolve("s.sock"));
        TcpServer unix = TcpServer.bind(loop, address, TcpOptions.defaults());
        try {
            unix.connections().subscribe(new Subscriber<>() {
                @Override
                public void onSubscribe(Subscription s) {
                    s.request(1);
                }

                @Override
                public void onNext(Connection c) {
                    CompletableFuture<Void> sent = new CompletableFuture<>();
                    c.sendFile(file).subscribe(completion(sent));
                    sent.whenComplete((v, e) -> c.shutdownOutput());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                }
            });
            try (java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open(address)) {
                assertThat(java.nio.channels.Channels.newInputStream(client).readAllBytes()).isEqualTo(data);
            }
        } finally {
            unix.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertThat(sendErrors).isEmpty();
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void sendsARange() throws Exception {
        Path file = dir.resolve("small.bin");
        byte[] data = new byte[100_000];
        new java.util.Random(12).nextBytes(data);
        Files.write(file, data);
        handler = (c, last) -> c.sendFile(file, 1000, 50_000).subscribe(completion(last));

        assertThat(fetch(null, null)).isEqualTo(Arrays.copyOfRange(data, 1000, 51_000));
        assertThat(sendErrors).isEmpty();
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    /** {@code /dev/zero} has no size for sendfile: it is read on the pool and sent as buffers. */
    @Test
    void aDeviceIsReadAndSentAsBuffers() throws Exception {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.isReadable(zero), "no /dev/zero here");
        handler = (c, last) -> {
            c.send(text("<")).subscribe(completion(null));
            c.sendFile(zero, 0, 1 << 20).subscribe(completion(null));
            c.send(text(">")).subscribe(completion(last));
        };

        byte[] got = fetch(null, null);

        assertThat(got).hasSize((1 << 20) + 2);
        assertThat(got[0]).isEqualTo((byte) '<');
        assertThat(got[got.length - 1]).isEqualTo((byte) '>');
        for (int i = 1; i < got.length - 1; i++) {
            if (got[i] != 0) {
                throw new AssertionError("byte " + i + " is " + got[i]);
            }
        }
        assertThat(sendErrors).isEmpty();
        assertThat(offLoop).isEmpty();
    }

    @Test
    void aMissingFileFailsItsSendAndTheConnectionGoesOn() throws Exception {
        Path missing = dir.resolve("missing.bin");
        handler = (c, last) -> {
            c.send(text("before ")).subscribe(completion(null));
            c.sendFile(missing).subscribe(completion(null));
            c.send(text("after")).subscribe(completion(last));
        };

        assertThat(new String(fetch(null, null), StandardCharsets.US_ASCII)).isEqualTo("before after");
        assertThat(sendErrors).singleElement().isInstanceOf(NoSuchFileException.class)
                .extracting(Throwable::getMessage).isEqualTo(missing + ": cannot send: no such file");
        assertThat(offLoop).isEmpty();
    }

    @Test
    void aRangePastTheEndFailsBeforeSendingAnything() throws Exception {
        Path file = Files.write(dir.resolve("five"), new byte[] {1, 2, 3, 4, 5});
        handler = (c, last) -> {
            c.sendFile(file, 2, 10).subscribe(completion(null));
            c.send(text("ok")).subscribe(completion(last));
        };

        assertThat(new String(fetch(null, null), StandardCharsets.US_ASCII)).isEqualTo("ok");
        assertThat(sendErrors).singleElement().isInstanceOf(FileSystemException.class)
                .extracting(Throwable::getMessage).isEqualTo(file + ": cannot send: 10 bytes from position 2 asked, the file has 5 bytes");
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void aDirectoryFailsNamingThePath() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        handler = (c, last) -> c.sendFile(sub).subscribe(completion(last));

        assertThat(fetch(null, null)).isEmpty();
        assertThat(sendErrors).singleElement().extracting(Throwable::getMessage).isEqualTo(sub + ": cannot send: is a directory");
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void aClosedConnectionClosesTheFile() throws Exception {
        Path file = dir.resolve("big.bin");
        FileReadTest.randomFile(file, 64L << 20, 13);
        CompletableFuture<Connection> connection = new CompletableFuture<>();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        handler = (c, last) -> {
            c.sendFile(file).subscribe(completion(sent));
            connection.complete(c);
        };
        try (Socket socket = new Socket()) {
            socket.connect(server.localAddress(), 10_000);
            socket.getInputStream().read(); // one byte: the transfer has started, and stalls
            connection.get(10, TimeUnit.SECONDS).close();
            sent.get(10, TimeUnit.SECONDS);
        }
        assertThat(sendErrors).singleElement().extracting(Throwable::getMessage).asString().contains("closed locally");
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }
}

package dev.loopflux.core.net;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Peers for the TLS tests: a JDK {@link SSLServerSocket} serving one connection on a plain thread,
 * {@code openssl} processes with their output collected, and a subscriber that collects bytes.
 * Every wait has a timeout; nothing sleeps.
 */
final class TlsTestPeers {
    static final long WAIT_SECONDS = 15;

    private TlsTestPeers() {
    }

    /** Bytes arriving in pieces (from a publisher or a stream), with futures for "n bytes came" and "text came". */
    static class Collected {
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        /** Conditions on what came so far; each may look at {@code size()} cheaply or copy the content. */
        private final List<Predicate<ByteArrayOutputStream>> conditions = new ArrayList<>();
        private final List<CompletableFuture<byte[]>> waiters = new ArrayList<>();
        /** The whole content at a clean end; fails with the error otherwise. */
        final CompletableFuture<byte[]> end = new CompletableFuture<>();

        synchronized byte[] bytes() {
            return received.toByteArray();
        }

        synchronized int size() {
            return received.size();
        }

        /** Completes with the content so far once at least {@code n} bytes came; fails if the end comes first. */
        CompletableFuture<byte[]> whenBytes(int n) {
            return when(b -> b.size() >= n);
        }

        /** Completes with the first match of {@code pattern} in the content read as Latin-1 text. */
        CompletableFuture<Matcher> whenMatches(Pattern pattern) {
            return when(b -> pattern.matcher(latin1(b.toByteArray())).find()).thenApply(b -> {
                Matcher m = pattern.matcher(latin1(b));
                m.find();
                return m;
            });
        }

        synchronized CompletableFuture<byte[]> when(Predicate<ByteArrayOutputStream> condition) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            if (condition.test(received)) {
                f.complete(received.toByteArray());
            } else if (end.isDone()) {
                f.completeExceptionally(new AssertionError("ended before the condition held, after " + received.size() + " bytes"));
            } else {
                conditions.add(condition);
                waiters.add(f);
            }
            return f;
        }

        synchronized void append(byte[] bytes, int offset, int length) {
            received.write(bytes, offset, length);
            for (int i = conditions.size() - 1; i >= 0; i--) {
                if (conditions.get(i).test(received)) {
                    conditions.remove(i);
                    waiters.remove(i).complete(received.toByteArray());
                }
            }
        }

        synchronized void ended(Throwable error) {
            if (error == null) {
                end.complete(received.toByteArray());
            } else {
                end.completeExceptionally(error);
            }
            for (CompletableFuture<byte[]> f : waiters) {
                f.completeExceptionally(error != null ? error
                        : new AssertionError("ended before the condition held, after " + received.size() + " bytes"));
            }
            conditions.clear();
            waiters.clear();
        }

        /** Awaits at least {@code n} bytes and returns exactly the first {@code n}. */
        byte[] awaitBytes(int n) throws Exception {
            return Arrays.copyOf(get(whenBytes(n), "waiting for " + n + " bytes"), n);
        }

        /** Awaits a clean end and returns everything. */
        byte[] awaitEnd() throws Exception {
            return get(end, "waiting for the end");
        }

        /** Awaits an error end and returns the error. */
        Throwable awaitError() throws Exception {
            try {
                byte[] all = end.get(WAIT_SECONDS, TimeUnit.SECONDS);
                throw new AssertionError("expected an error, ended cleanly after " + all.length + " bytes");
            } catch (ExecutionException e) {
                return e.getCause();
            }
        }

        private <T> T get(CompletableFuture<T> f, String what) throws Exception {
            try {
                return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError(what + ": nothing after " + WAIT_SECONDS + " s; " + size() + " bytes came", e);
            }
        }
    }

    static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** A subscriber that requests everything and collects the bytes of a publisher. */
    static final class ByteSink extends Collected implements Subscriber<ByteBuffer> {
        volatile Subscription subscription;

        static ByteSink of(Publisher<ByteBuffer> publisher) {
            ByteSink sink = new ByteSink();
            publisher.subscribe(sink);
            return sink;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            append(bytes, 0, bytes.length);
        }

        @Override
        public void onError(Throwable t) {
            ended(t);
        }

        @Override
        public void onComplete() {
            ended(null);
        }
    }

    /** What a JDK peer does with its connection, on its own thread. */
    interface Session<R> {
        R run(SSLSocket socket) throws Exception;
    }

    /**
     * A JDK {@link SSLServerSocket} on 127.0.0.1 serving exactly one connection with
     * {@code session} on a plain (daemon) thread; {@link #result} is what the session returned,
     * or how it failed. The accepted socket has a read timeout, so a broken peer fails the session
     * instead of hanging it.
     */
    static final class JdkServer<R> implements AutoCloseable {
        final SSLServerSocket listener;
        final CompletableFuture<R> result = new CompletableFuture<>();
        private volatile SSLSocket accepted;

        JdkServer(SSLContext context, String[] protocols, Session<R> session) throws IOException {
            listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            if (protocols != null) {
                listener.setEnabledProtocols(protocols);
            }
            Thread thread = new Thread(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    accepted = socket;
                    socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                    socket.startHandshake();
                    result.complete(session.run(socket));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            }, "jdk-tls-server");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", listener.getLocalPort());
        }

        R await() throws Exception {
            return result.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            listener.close();
            SSLSocket socket = accepted;
            if (socket != null) {
                socket.close();
            }
        }
    }

    /** Reads until end of stream, writing back every piece as it comes; returns the bytes echoed. */
    static long echoUntilEnd(SSLSocket socket) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            out.write(buffer, 0, n);
            out.flush();
            total += n;
        }
        return total;
    }

    /**
     * A TLS peer driven by hand: an {@link SSLEngine} over a blocking {@link Socket} (with a read
     * timeout), on the test's thread. Unlike {@link SSLSocket}, it controls how records are
     * grouped into writes: {@link #handshakeThenSend} sends the last handshake flight and the
     * first application data in one write, so they reach the other side in one segment.
     */
    static final class EnginePeer implements AutoCloseable {
        private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
        final SSLEngine engine;
        final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        /** Records read and not yet unwrapped, in write mode. */
        private ByteBuffer netIn = ByteBuffer.allocate(64 * 1024);
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();

        EnginePeer(SSLEngine engine, Socket socket) throws IOException {
            this.engine = engine;
            this.socket = socket;
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            socket.setTcpNoDelay(true);
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /**
         * Handshakes; what the engine wraps is held back until it waits for the peer, and the
         * last flight goes out in one write with the records of {@code firstData}.
         */
        void handshakeThenSend(byte[] firstData) throws IOException {
            ByteBuffer pending = ByteBuffer.allocate(256 * 1024);
            engine.beginHandshake();
            while (true) {
                SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
                switch (status) {
                    case NEED_WRAP -> check(engine.wrap(EMPTY, pending));
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        flush(pending);
                        unwrapOne();
                    }
                    case NEED_TASK -> {
                        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                            task.run();
                        }
                    }
                    default -> { // NOT_HANDSHAKING: done
                        ByteBuffer data = ByteBuffer.wrap(firstData);
                        while (data.hasRemaining()) {
                            check(engine.wrap(data, pending));
                        }
                        flush(pending); // the last flight and the data: one write
                        return;
                    }
                }
            }
        }

        /**
         * Server side: handshakes until the engine has its first flight ready and waits for the
         * client's answer; then sends that flight and {@code trailer} (raw bytes: a hand-made
         * alert record, say) in one write, and closes the socket without reading on.
         */
        void firstFlightThenClose(byte[] trailer) throws IOException {
            ByteBuffer pending = ByteBuffer.allocate(256 * 1024);
            engine.beginHandshake();
            boolean wrapped = false;
            while (true) {
                switch (engine.getHandshakeStatus()) {
                    case NEED_WRAP -> {
                        check(engine.wrap(EMPTY, pending));
                        wrapped = true;
                    }
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        if (wrapped) {
                            pending.put(trailer);
                            flush(pending);
                            socket.close();
                            return;
                        }
                        unwrapOne();
                    }
                    case NEED_TASK -> {
                        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                            task.run();
                        }
                    }
                    default -> throw new IllegalStateException("the handshake ended before the server's first flight");
                }
            }
        }

        /** Reads and unwraps until {@code n} bytes of application data came; returns them. */
        byte[] read(int n) throws IOException {
            while (received.size() < n) {
                unwrapOne();
            }
            return received.toByteArray();
        }

        private void unwrapOne() throws IOException {
            ByteBuffer app = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() + 1024);
            while (true) {
                netIn.flip();
                SSLEngineResult result = engine.unwrap(netIn, app);
                netIn.compact();
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                    if (netIn.remaining() < engine.getSession().getPacketBufferSize()) {
                        netIn = ByteBuffer.allocate(netIn.capacity() * 2).put(netIn.flip());
                    }
                    int n = in.read(netIn.array(), netIn.arrayOffset() + netIn.position(), netIn.remaining());
                    if (n < 0) {
                        throw new java.io.EOFException("the peer closed the connection");
                    }
                    netIn.position(netIn.position() + n);
                    continue;
                }
                check(result);
                received.write(app.array(), 0, app.position());
                return;
            }
        }

        private void flush(ByteBuffer pending) throws IOException {
            pending.flip();
            if (pending.hasRemaining()) {
                out.write(pending.array(), pending.arrayOffset() + pending.position(), pending.remaining());
                out.flush();
            }
            pending.clear();
        }

        private static void check(SSLEngineResult result) throws javax.net.ssl.SSLException {
            if (result.getStatus() != SSLEngineResult.Status.OK) {
                throw new javax.net.ssl.SSLException("unexpected engine result: " + result);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * An {@code openssl} process with its standard output collected on a thread and its standard
     * error in a file (for failure messages). Its standard input is a pipe, open until
     * {@link #closeInput()}.
     */
    static final class OpenSsl implements AutoCloseable {
        final Process process;
        final Collected stdout = new Collected();
        private final Path stderr;
        private final List<String> command;

        private OpenSsl(List<String> command, Path stderr) throws IOException {
            this.command = command;
            this.stderr = stderr;
            this.process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try (InputStream in = process.getInputStream()) {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        stdout.append(buffer, 0, n);
                    }
                    stdout.ended(null);
                } catch (IOException e) {
                    stdout.ended(e);
                }
            }, "openssl-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        /** Starts {@code openssl args...}; fails with a clear message if openssl is not on the PATH. */
        static OpenSsl start(Path workDir, String... args) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(executable());
            command.addAll(List.of(args));
            return new OpenSsl(command, Files.createTempFile(workDir, "openssl", ".err"));
        }

        /**
         * The openssl on the PATH. Not found is a failure, never a skip: CI installs openssl
         * ({@code apt-get install -y openssl}) so that these interop tests always run.
         */
        static String executable() {
            String path = System.getenv("PATH");
            if (path != null) {
                for (String dir : path.split(File.pathSeparator)) {
                    if (dir.isEmpty()) {
                        continue;
                    }
                    Path candidate = Path.of(dir, "openssl");
                    if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                        return candidate.toString();
                    }
                }
            }
            throw new AssertionError("openssl is not on the PATH (" + path + "): the TLS interop tests need it;"
                    + " install it (apt-get install -y openssl), CI does");
        }

        OutputStream input() {
            return process.getOutputStream();
        }

        void closeInput() throws IOException {
            process.getOutputStream().close();
        }

        /** Waits for the process to exit; returns its exit code. */
        int awaitExit() throws Exception {
            if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("openssl did not exit within " + WAIT_SECONDS + " s; " + describe());
            }
            return process.exitValue();
        }

        String stderr() throws IOException {
            return Files.readString(stderr, StandardCharsets.ISO_8859_1);
        }

        /** The command, its standard error and the start of its standard output, for failure messages. */
        String describe() {
            String err;
            try {
                err = Files.readString(stderr, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            byte[] out = stdout.bytes();
            return String.join(" ", command) + "\n--- stderr:\n" + err + "\n--- stdout (" + out.length + " bytes, first 2000 as text):\n"
                    + latin1(Arrays.copyOf(out, Math.min(out.length, 2000)));
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }
}

package dev.loopflux.bench.echo;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * The load client's side of one connection: plain bytes over a {@link SocketChannel}, or TLS over
 * it with a JDK {@link SSLEngine} ({@link Tls}). It works in the channel's blocking mode as it is
 * set: blocking while connecting and for the handshake, then non-blocking under a selector.
 */
interface ClientChannel extends Closeable {

    /** Connects to 127.0.0.1:{@code port} (with TCP_NODELAY), and does the TLS handshake if {@code tls} is not null. Blocking. */
    static ClientChannel open(int port, SSLContext tls) throws IOException {
        SocketChannel socket = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        try {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (tls == null) {
                return new Plain(socket);
            }
            Tls channel = new Tls(socket, EchoTls.clientEngine(tls, port));
            channel.handshake();
            return channel;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    SocketChannel socket();

    /** Reads what there is into {@code dst}: the bytes read, 0 if none is there yet (non-blocking), -1 at the end. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes what it can of {@code src}: the bytes of it taken (a TLS channel may hold some of them encrypted, see {@link #hasPendingWrites()}). */
    int write(ByteBuffer src) throws IOException;

    /** Whether bytes taken by {@link #write} are still to be written to the socket. */
    boolean hasPendingWrites();

    /** Whether {@link #read} has bytes for the caller without waiting for the socket (a selector would not say so). */
    boolean hasBufferedInput();

    /** "TLSv1.3 TLS_AES_128_GCM_SHA256", or "plain". */
    String describe();

    /** Plain TCP: the socket's own calls. */
    final class Plain implements ClientChannel {
        private final SocketChannel socket;

        Plain(SocketChannel socket) {
            this.socket = socket;
        }

        @Override
        public SocketChannel socket() {
            return socket;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return socket.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return socket.write(src);
        }

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public boolean hasBufferedInput() {
            return false;
        }

        @Override
        public String describe() {
            return "plain";
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * TLS with a JDK {@link SSLEngine}. Encrypted bytes read wait in {@code netIn} until they make
     * a whole record; decrypted bytes the caller had no room for wait in {@code appIn}; encrypted
     * bytes the socket did not take wait in {@code netOut}. Delegated tasks run inline: this is a
     * load client, and the handshakes are done before anything is measured.
     */
    final class Tls implements ClientChannel {
        private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

        private final SocketChannel socket;
        private final SSLEngine engine;
        private ByteBuffer netIn;
        private ByteBuffer appIn;
        private ByteBuffer netOut;

        Tls(SocketChannel socket, SSLEngine engine) {
            this.socket = socket;
            this.engine = engine;
            SSLSession session = engine.getSession();
            // As much ciphertext per socket read as the plain client reads (64 KiB), and room for a few records to write.
            this.netIn = ByteBuffer.allocate(Math.max(65536, session.getPacketBufferSize()));
            this.appIn = ByteBuffer.allocate(session.getApplicationBufferSize());
            this.netOut = ByteBuffer.allocate(4 * session.getPacketBufferSize());
        }

        /**
         * The whole handshake, on a blocking socket. The client's last flight (its Finished) is
         * kept and goes out in one socket write with the first message, as clients that send
         * right away commonly do: a server then finds application data right behind the end of
         * the handshake in one read.
         */
        void handshake() throws IOException {
            engine.beginHandshake();
            HandshakeStatus status = engine.getHandshakeStatus();
            while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
                switch (status) {
                    case NEED_WRAP -> {
                        SSLEngineResult result = engine.wrap(EMPTY, netOut);
                        checkNotClosed(result, "handshake");
                        status = result.getHandshakeStatus();
                        if (status != HandshakeStatus.FINISHED) {
                            flushNet();
                        }
                    }
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        netIn.flip();
                        SSLEngineResult result = engine.unwrap(netIn, appIn);
                        netIn.compact();
                        checkNotClosed(result, "handshake");
                        if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                            ensureRoomToRead();
                            if (socket.read(netIn) < 0) {
                                throw new EOFException("the server closed the connection during the TLS handshake");
                            }
                            status = engine.getHandshakeStatus();
                        } else {
                            status = result.getHandshakeStatus();
                        }
                    }
                    case NEED_TASK -> {
                        runTasks();
                        status = engine.getHandshakeStatus();
                    }
                    default -> throw new IllegalStateException("handshake status " + status);
                }
            }
        }

        @Override
        public SocketChannel socket() {
            return socket;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int total = 0;
            while (true) {
                total += drainApp(dst);
                if (!dst.hasRemaining()) {
                    return total;
                }
                netIn.flip();
                SSLEngineResult result = engine.unwrap(netIn, appIn);
                netIn.compact();
                switch (result.getStatus()) {
                    case OK -> {
                        afterEngine(result.getHandshakeStatus());
                        if (result.bytesConsumed() > 0 || result.bytesProduced() > 0) {
                            continue;
                        }
                    }
                    case BUFFER_OVERFLOW -> {
                        if (appIn.position() > 0) {
                            continue; // drain it into dst first
                        }
                        appIn = grow(appIn, engine.getSession().getApplicationBufferSize());
                        continue;
                    }
                    case BUFFER_UNDERFLOW -> {
                        // fall through to reading the socket
                    }
                    case CLOSED -> {
                        return total > 0 ? total : -1;
                    }
                    default -> throw new IllegalStateException("unwrap status " + result.getStatus());
                }
                if (total > 0) {
                    return total; // never block (a blocking socket) for more than the caller got
                }
                ensureRoomToRead();
                int n = socket.read(netIn);
                if (n <= 0) {
                    return n;
                }
            }
        }

        /** Encrypts behind what is still pending, then writes it all with as few socket writes as it takes. */
        @Override
        public int write(ByteBuffer src) throws IOException {
            int taken = 0;
            while (src.hasRemaining()) {
                SSLEngineResult result = engine.wrap(src, netOut);
                taken += result.bytesConsumed();
                checkNotClosed(result, "write");
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    int before = netOut.position();
                    flushNet();
                    if (netOut.position() == before) {
                        if (before == 0) {
                            netOut = grow(netOut, engine.getSession().getPacketBufferSize());
                            continue;
                        }
                        break; // the socket takes nothing now
                    }
                } else {
                    afterEngine(result.getHandshakeStatus());
                }
            }
            flushNet();
            return taken;
        }

        @Override
        public boolean hasPendingWrites() {
            return netOut.position() > 0;
        }

        @Override
        public boolean hasBufferedInput() {
            if (appIn.position() > 0) {
                return true;
            }
            // A whole record in netIn (header: type, version, 2-byte length)?
            int have = netIn.position();
            return have >= 5 && have >= 5 + (((netIn.get(3) & 0xff) << 8) | (netIn.get(4) & 0xff));
        }

        @Override
        public String describe() {
            SSLSession session = engine.getSession();
            return session.getProtocol() + " " + session.getCipherSuite();
        }

        /** Sends close_notify if the socket takes it at once, then closes. */
        @Override
        public void close() throws IOException {
            try {
                engine.closeOutbound();
                engine.wrap(EMPTY, netOut);
                flushNet();
            } catch (IOException | RuntimeException ignored) {
                // closing anyway
            } finally {
                socket.close();
            }
        }

        private int drainApp(ByteBuffer dst) {
            if (appIn.position() == 0) {
                return 0;
            }
            appIn.flip();
            int n = Math.min(appIn.remaining(), dst.remaining());
            int limit = appIn.limit();
            appIn.limit(appIn.position() + n);
            dst.put(appIn);
            appIn.limit(limit);
            appIn.compact();
            return n;
        }

        /** After the handshake: a key update to answer, or a task to run. */
        private void afterEngine(HandshakeStatus status) throws IOException {
            while (true) {
                switch (status) {
                    case NEED_TASK -> {
                        runTasks();
                        status = engine.getHandshakeStatus();
                    }
                    case NEED_WRAP -> {
                        if (netOut.remaining() < engine.getSession().getPacketBufferSize()) {
                            flushNet();
                            if (netOut.remaining() < engine.getSession().getPacketBufferSize()) {
                                netOut = grow(netOut, netOut.capacity() + engine.getSession().getPacketBufferSize());
                            }
                        }
                        SSLEngineResult result = engine.wrap(EMPTY, netOut);
                        checkNotClosed(result, "key update");
                        status = result.getHandshakeStatus();
                    }
                    default -> {
                        return;
                    }
                }
            }
        }

        private void runTasks() {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
                task.run();
            }
        }

        private void flushNet() throws IOException {
            if (netOut.position() == 0) {
                return;
            }
            netOut.flip();
            try {
                while (netOut.hasRemaining() && socket.write(netOut) > 0) {
                    // again, until the socket takes no more
                }
            } finally {
                netOut.compact();
            }
        }

        private void ensureRoomToRead() {
            if (!netIn.hasRemaining()) {
                netIn = grow(netIn, netIn.capacity() + engine.getSession().getPacketBufferSize());
            }
        }

        private static ByteBuffer grow(ByteBuffer buffer, int atLeast) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, buffer.capacity() * 2));
            buffer.flip();
            bigger.put(buffer);
            return bigger;
        }

        private static void checkNotClosed(SSLEngineResult result, String during) throws SSLException {
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new SSLException("the TLS engine closed during " + during + ": " + result);
            }
        }
    }
}

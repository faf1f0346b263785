package dev.loopflux.core.net;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.function.IntSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * A TLS peer made of a plain blocking {@link Socket} and a JDK {@link SSLEngine} driven by hand,
 * so that a test decides exactly which bytes go on the wire, in what pieces, and how many bytes
 * each read system call takes. The JDK's {@code SSLSocket} cannot do that: it reads whole records
 * from its socket internally and writes each record in one call, so the other side never sees
 * anything but whole records. With this peer a test can split records into one-byte writes, put
 * the last handshake flight in the same write as application data, send half a record and then
 * FIN, end the stream without {@code close_notify}, or reset the connection.
 *
 * <p>{@link #readData()} (one thread) may run concurrently with {@link #records} and the write
 * methods (another thread): the engine allows a wrap and an unwrap at the same time, and the wire
 * writes all come from the writing thread.
 */
final class TlsPeer implements AutoCloseable {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    final Socket socket;
    final SSLEngine engine;
    private final InputStream in;
    private final OutputStream out;
    /** Bytes asked of each read system call. */
    private final IntSupplier readSize;
    /** Bytes read from the socket and not yet unwrapped, read mode. */
    private ByteBuffer netIn = ByteBuffer.allocate(64 * 1024).flip();
    private byte[] readBuffer = new byte[1];
    /** Plaintext that came with the handshake, handed out first by {@link #readData()}. */
    private final ArrayDeque<byte[]> early = new ArrayDeque<>();
    /** Read system calls made, and how many of them returned exactly one byte. */
    long reads;
    long oneByteReads;

    private TlsPeer(Socket socket, SSLEngine engine, IntSupplier readSize) throws IOException {
        this.socket = socket;
        this.engine = engine;
        this.readSize = readSize;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** A client peer on a connected socket; {@code protocols} empty for the engine's defaults. */
    static TlsPeer client(Socket socket, SSLContext context, IntSupplier readSize, String... protocols) throws IOException {
        SSLEngine engine = context.createSSLEngine("localhost", socket.getPort());
        engine.setUseClientMode(true);
        if (protocols.length > 0) {
            engine.setEnabledProtocols(protocols);
        }
        return new TlsPeer(socket, engine, readSize);
    }

    /** A server peer on an accepted socket. */
    static TlsPeer server(Socket socket, SSLContext context, IntSupplier readSize, String... protocols) throws IOException {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        if (protocols.length > 0) {
            engine.setEnabledProtocols(protocols);
        }
        return new TlsPeer(socket, engine, readSize);
    }

    /** Connects a plain socket to {@code address}, with a 10 s read timeout so a stuck server fails the test. */
    static Socket connect(SocketAddress address, int receiveBuffer, int sendBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        if (sendBuffer > 0) {
            socket.setSendBufferSize(sendBuffer);
        }
        socket.setTcpNoDelay(true); // every small write is a segment of its own
        socket.connect(address, 10_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Random read sizes in [1, max]. */
    static IntSupplier randomSizes(int max, long seed) {
        Random random = new Random(seed);
        return () -> 1 + random.nextInt(max);
    }

    // ---- handshake -----------------------------------------------------------------------

    /**
     * Drives the handshake to its end. This side's last flight is written at once, or, with
     * {@code holdLastFlight}, returned unwritten so that the caller can put it on the wire
     * together with application data.
     */
    byte[] handshake(boolean holdLastFlight) throws IOException {
        engine.beginHandshake();
        ByteArrayOutputStream flight = new ByteArrayOutputStream();
        while (true) {
            HandshakeStatus status = engine.getHandshakeStatus();
            switch (status) {
                case NEED_WRAP -> flight.write(wrap(EMPTY));
                case NEED_TASK -> runTasks();
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    writeRaw(flight.toByteArray());
                    flight.reset();
                    byte[] plain = unwrapOne();
                    if (plain == null) {
                        throw new SSLException("the peer closed the TLS session during the handshake");
                    }
                    if (plain.length > 0) {
                        early.add(plain);
                    }
                }
                default -> { // NOT_HANDSHAKING
                    if (holdLastFlight) {
                        return flight.toByteArray();
                    }
                    writeRaw(flight.toByteArray());
                    return new byte[0];
                }
            }
        }
    }

    /** One wrap of a handshake message (the ClientHello, after {@code beginHandshake}), not yet written. */
    byte[] wrapHandshake() throws IOException {
        return wrap(EMPTY);
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    // ---- writing -------------------------------------------------------------------------

    /** {@code data[off, off+len)} as TLS records (at most 16 KiB of plaintext each), not yet written. */
    byte[] records(byte[] data, int off, int len) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(data, off, len);
        ByteArrayOutputStream wire = new ByteArrayOutputStream(len + 256);
        while (src.hasRemaining()) {
            wire.write(wrap(src));
        }
        return wire.toByteArray();
    }

    byte[] records(byte[] data) throws IOException {
        return records(data, 0, data.length);
    }

    /** The {@code close_notify} alert, not yet written. */
    byte[] closeNotify() throws IOException {
        engine.closeOutbound();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        while (!engine.isOutboundDone()) {
            byte[] bytes = wrap(EMPTY);
            if (bytes.length == 0) {
                break;
            }
            wire.write(bytes);
        }
        return wire.toByteArray();
    }

    private byte[] wrap(ByteBuffer src) throws IOException {
        ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        SSLEngineResult result = engine.wrap(src, net);
        if (result.getStatus() != SSLEngineResult.Status.OK && result.getStatus() != SSLEngineResult.Status.CLOSED) {
            throw new SSLException("wrap: " + result);
        }
        if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
            runTasks();
        }
        net.flip();
        byte[] bytes = new byte[net.remaining()];
        net.get(bytes);
        return bytes;
    }

    /** Writes {@code bytes} in one write call. */
    void writeRaw(byte[] bytes) throws IOException {
        if (bytes.length > 0) {
            out.write(bytes);
            out.flush();
        }
    }

    /** Writes {@code bytes} in pieces of {@code pieceSize} bytes each, one write call per piece. */
    void writeInPieces(byte[] bytes, IntSupplier pieceSize) throws IOException {
        for (int i = 0; i < bytes.length; ) {
            int n = Math.min(bytes.length - i, pieceSize.getAsInt());
            out.write(bytes, i, n);
            i += n;
        }
        out.flush();
    }

    // ---- reading -------------------------------------------------------------------------

    /** The plaintext of the next records that carry some, or null at {@code close_notify}. */
    byte[] readData() throws IOException {
        if (!early.isEmpty()) {
            return early.poll();
        }
        while (true) {
            byte[] plain = unwrapOne();
            if (plain == null || plain.length > 0) {
                return plain;
            }
        }
    }

    /** Reads plaintext until {@code close_notify}; returns it all. */
    byte[] readToCloseNotify() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] plain; (plain = readData()) != null; ) {
            all.write(plain);
        }
        return all.toByteArray();
    }

    /** Reads exactly {@code n} bytes of plaintext. */
    byte[] readExactly(int n) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream(n);
        while (all.size() < n) {
            byte[] plain = readData();
            if (plain == null) {
                throw new EOFException("close_notify after " + all.size() + " of " + n + " bytes");
            }
            all.write(plain);
        }
        return all.toByteArray();
    }

    /**
     * Unwraps one record, reading the socket as needed in pieces of {@link #readSize} bytes.
     * Returns its plaintext (empty for a handshake message such as a session ticket), or null at
     * {@code close_notify}.
     *
     * @throws EOFException at end of stream without {@code close_notify}
     */
    private byte[] unwrapOne() throws IOException {
        while (true) {
            ByteBuffer app = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
            SSLEngineResult result = engine.unwrap(netIn, app);
            switch (result.getStatus()) {
                case OK -> {
                    if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                        runTasks();
                    }
                    app.flip();
                    byte[] plain = new byte[app.remaining()];
                    app.get(plain);
                    return plain;
                }
                case CLOSED -> {
                    return null;
                }
                case BUFFER_UNDERFLOW -> {
                    if (!readPiece()) {
                        throw new EOFException("end of stream without close_notify"
                                + (netIn.hasRemaining() ? ", " + netIn.remaining() + " bytes into a record" : ""));
                    }
                }
                default -> throw new SSLException("unwrap: " + result);
            }
        }
    }

    /** One read system call of at most {@link #readSize} bytes; false at end of stream. */
    private boolean readPiece() throws IOException {
        int want = readSize.getAsInt();
        if (readBuffer.length < want) {
            readBuffer = new byte[want];
        }
        int n = in.read(readBuffer, 0, want);
        if (n < 0) {
            return false;
        }
        reads++;
        if (n == 1) {
            oneByteReads++;
        }
        if (netIn.capacity() - netIn.remaining() < n) {
            netIn = ByteBuffer.allocate(netIn.remaining() + n + 64 * 1024).put(netIn).flip();
        }
        netIn.compact().put(readBuffer, 0, n).flip();
        return true;
    }

    /** Closes the socket with {@code SO_LINGER} 0: the kernel sends RST, and no {@code close_notify} went. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

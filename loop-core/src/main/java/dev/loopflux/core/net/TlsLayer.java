package dev.loopflux.core.net;

import dev.loopflux.core.BlockingPool;
import dev.loopflux.core.TimerHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.crypto.AEADBadTagException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;

/**
 * The {@link SSLEngine} of one {@link TcpConnection}, between the socket and the connection's
 * {@link Inbound} and {@link Outbound}.
 *
 * <p><b>Reading.</b> Records are read into the loop's scratch buffer and unwrapped one at a time,
 * and only while the inbound has demand; each record's plaintext is copied out at its exact size
 * and handed to {@code onNext}. Records read beyond the demand stay in {@link #netIn} (at most one
 * read's worth) until the subscriber asks again, and the socket is not read meanwhile: a slow
 * subscriber slows the peer through TCP flow control, as on plain TCP.
 *
 * <p><b>Writing.</b> The outbound's buffers are wrapped into the loop's scratch buffer, a few
 * records per write system call; what the kernel does not take stays in {@link #netOut}, and the
 * outbound then waits for {@code OP_WRITE} before it wraps more. So the outbound's high-water
 * mark still bounds the plaintext, and at most one write's worth of records is held on top.
 * A send completes once its last record was taken by the kernel.
 *
 * <p><b>Handshake.</b> Driven by readiness; the engine's delegated tasks run on
 * {@link BlockingPool#shared()} and the handshake resumes on the loop when they are done. Until
 * it is done, sends wait and nothing is delivered.
 *
 * <p>Threading: loop thread only, except {@link #session()}.
 */
final class TlsLayer {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final ByteBuffer[] NO_BUFFERS = {EMPTY};
    /** Records wrapped per write system call at most. */
    private static final int RECORDS_PER_WRITE = 4;

    private final TcpConnection connection;
    private final SSLEngine engine;
    private final TlsOptions options;
    /** Records read and not yet unwrapped (read mode), or null. */
    private ByteBuffer netIn;
    /** Plaintext unwrapped and not yet delivered, past a {@code readBufferSize} chunk (read mode), or null. */
    private ByteBuffer appIn;
    /** Records wrapped and not yet taken by the kernel (read mode), or null. */
    private ByteBuffer netOut;
    private boolean handshaking;
    private boolean tasksRunning;
    private boolean reading;
    private boolean drainScheduled;
    private boolean closeNotifyQueued;
    private TimerHandle handshakeTimer;
    /** A client's connect, told when the handshake is done or failed. */
    private TcpClient.ConnectSubscription awaitingHandshake;
    private volatile SSLSession session;
    private final java.util.concurrent.CompletableFuture<SSLSession> handshakeResult = new java.util.concurrent.CompletableFuture<>();

    TlsLayer(TcpConnection connection, TlsOptions options, String host, int port) {
        this.connection = connection;
        this.options = options;
        this.engine = options.newEngine(host, port);
    }

    /** Completes with the session when the handshake is done, or with why the connection closed before. */
    java.util.concurrent.CompletionStage<SSLSession> handshakeResult() {
        return handshakeResult.minimalCompletionStage();
    }

    /** The session once the handshake is done, else null; any thread. */
    SSLSession session() {
        return session;
    }

    String applicationProtocol() {
        String protocol = session == null ? null : engine.getApplicationProtocol();
        return protocol == null || protocol.isEmpty() ? null : protocol;
    }

    boolean isHandshaking() {
        return handshaking;
    }

    /** Whether the socket should be read now: for the handshake, or for the inbound's demand. */
    boolean wantsRead() {
        if (tasksRunning) {
            return false; // and the engine is not to be touched: a pool thread holds its lock
        }
        if (handshaking) {
            HandshakeStatus status = engine.getHandshakeStatus();
            return status == HandshakeStatus.NEED_UNWRAP || status == HandshakeStatus.NEED_UNWRAP_AGAIN;
        }
        return !tasksRunning && connection.inbound.wantsRead();
    }

    /** Records are waiting for the kernel to take them. */
    boolean wantsWrite() {
        return netOut != null;
    }

    // ---- handshake ---------------------------------------------------------------------------

    /** Loop thread: the TCP connection is up; starts the handshake. {@code waiter} is a client's connect, or null. */
    void begin(TcpClient.ConnectSubscription waiter) {
        awaitingHandshake = waiter;
        handshaking = true;
        long timeout = options.handshakeTimeout().toNanos();
        handshakeTimer = connection.loop.schedule(this::handshakeTimedOut, timeout, TimeUnit.NANOSECONDS);
        if (engine.getUseClientMode()) {
            // A client's beginHandshake writes its ClientHello: key generation and a read of the
            // system's random source, which are the pool's work, as the delegated tasks are.
            offload(List.of(() -> {
                try {
                    engine.beginHandshake();
                } catch (SSLException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
            return;
        }
        try {
            engine.beginHandshake(); // a server's only changes state: it waits for the ClientHello
        } catch (SSLException e) {
            failHandshake(e);
            return;
        }
        drive();
    }

    /** Loop thread: moves the handshake on as far as it goes without waiting. */
    void drive() {
        if (!handshaking || tasksRunning || !connection.isOpen()) {
            return;
        }
        ByteBuffer in = null;
        boolean finished = false;
        try {
            while (connection.isOpen()) {
                if (!flushNetOut()) {
                    break; // OP_WRITE will call again
                }
                HandshakeStatus status = engine.getHandshakeStatus();
                if (status == HandshakeStatus.NEED_WRAP) {
                    wrapAndWrite(NO_BUFFERS, 1);
                    if (produced == 0 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                        failHandshake(new SSLException("the engine wants to send but produced nothing"));
                        return;
                    }
                } else if (status == HandshakeStatus.NEED_UNWRAP || status == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                    if (in == null) {
                        in = claimIn();
                    }
                    in = unwrapForHandshake(in);
                    if (readResult == 0) {
                        break; // OP_READ will call again
                    }
                } else if (status == HandshakeStatus.NEED_TASK) {
                    runDelegatedTasks();
                    break;
                } else if (engine.isInboundDone() || engine.isOutboundDone()) {
                    failHandshake(new SSLException("the TLS session closed during the handshake"));
                    return;
                } else {
                    finished = true; // NOT_HANDSHAKING (FINISHED is only ever a result's status)
                    break;
                }
            }
        } catch (SSLException e) {
            failHandshake(e);
        } catch (IOException e) {
            SSLException alert = peerAlert(in != null ? in : netIn);
            if (alert != null) {
                failHandshake(alert);
            } else {
                connection.closeWith(Peers.translate(e, "TLS handshake with", connection.peer()));
            }
        } finally {
            if (in != null) {
                releaseIn(in); // records read behind the last handshake record are kept in netIn
            }
        }
        if (finished && connection.isOpen()) {
            handshakeFinished();
        }
        connection.updateInterest();
    }

    /**
     * The socket failed during the handshake (a write met a peer that had closed: broken pipe,
     * reset). A peer that refuses the handshake sends an alert before it closes, and the alert
     * is then still in the receive buffer: read it, so that the failure says why. The connection
     * is closing anyway; what our engine still had to send is wrapped and dropped, since it only
     * reads once it has nothing left to send.
     *
     * @param records records read and not yet unwrapped (read mode), or null
     * @return the engine's exception for the peer's alert, or null if there is none
     */
    private SSLException peerAlert(ByteBuffer records) {
        int packet = engine.getSession().getPacketBufferSize();
        try {
            ByteBuffer dropped = ByteBuffer.allocate(packet);
            for (int i = 0; i < 8 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
                dropped.clear();
                engine.wrap(EMPTY, dropped);
            }
        } catch (SSLException | RuntimeException e) {
            return null; // our engine's trouble, not the peer's word
        }
        try {
            ByteBuffer in = ByteBuffer.allocate((records == null ? 0 : records.remaining()) + 2 * packet);
            if (records != null) {
                in.put(records.duplicate());
            }
            try {
                connection.channel.read(in); // what came before the peer went away is still there
            } catch (IOException e) {
                // then only the records kept from before
            }
            in.flip();
            ByteBuffer app = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
            while (in.hasRemaining()) {
                SSLEngineResult result = engine.unwrap(in, app);
                if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesConsumed() == 0) {
                    return null;
                }
                app.clear();
            }
        } catch (SSLException alert) {
            return alert;
        } catch (RuntimeException e) {
            // nothing more to learn from this socket
        }
        return null;
    }

    /** What the last {@link #readMore} read: bytes, 0, or -1 at end of stream. */
    private int readResult;
    /** The last {@link #readMore} got less than it asked for: the kernel had no more then. */
    private boolean lastReadShort;
    /** Bytes the last {@link #wrapAndWrite} produced. */
    private int produced;
    /** Size asked of the scratch plaintext buffer; doubled when the engine overflows it. */
    private int appBufferSize;

    /**
     * One unwrap step of the handshake; reads first if no whole record is buffered. Returns the
     * buffer to go on with (it may have grown), with {@link #readResult} 0 when there was nothing
     * to read. On failure the connection is closed.
     */
    private ByteBuffer unwrapForHandshake(ByteBuffer in) throws IOException {
        readResult = 1;
        while (true) {
            if (in.hasRemaining()) {
                ByteBuffer app = appScratch();
                SSLEngineResult result = engine.unwrap(in, app);
                switch (result.getStatus()) {
                    case OK:
                        if (result.bytesProduced() > 0) {
                            keepPlaintext(app.flip()); // application data right behind the last handshake record
                        }
                        return in;
                    case CLOSED:
                        failHandshake(new SSLException("the peer closed the TLS session during the handshake"));
                        return in;
                    case BUFFER_OVERFLOW:
                        appBufferSize = app.capacity() * 2;
                        continue;
                    case BUFFER_UNDERFLOW:
                    default:
                        break;
                }
            }
            in = readMore(in);
            if (readResult < 0) {
                connection.closeWith(new TlsHandshakeException(in.hasRemaining()
                        ? "TLS handshake with " + connection.peer() + " failed: the peer closed the connection mid-record"
                        : "TLS handshake with " + connection.peer() + " failed: the peer closed the connection", null));
                return in;
            }
            if (readResult == 0) {
                return in;
            }
        }
    }

    private ByteBuffer appScratch() {
        int size = Math.max(appBufferSize, session != null ? session.getApplicationBufferSize()
                : engine.getSession().getApplicationBufferSize());
        return IoScratch.get().tlsApp(size);
    }

    private void handshakeFinished() {
        handshaking = false;
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
        }
        session = engine.getSession();
        handshakeResult.complete(session);
        TcpClient.ConnectSubscription waiter = awaitingHandshake;
        awaitingHandshake = null;
        if (waiter != null) {
            waiter.ready();
        }
        if (!connection.isOpen()) {
            return;
        }
        connection.outbound.writable(); // sends that waited for the handshake
        if (connection.isOpen() && (netIn != null || appIn != null)) {
            // Application data came with the last handshake records (drive() kept it in netIn
            // before calling here): no readiness will come for it, and the peer may be waiting.
            scheduleDrain();
        }
    }

    private void handshakeTimedOut() {
        if (handshaking && connection.isOpen()) {
            connection.closeWith(new TlsHandshakeTimeoutException("TLS handshake with " + connection.peer() + " not done after "
                    + options.handshakeTimeout().toMillis() + " ms", options.handshakeTimeout()));
        }
    }

    private void failHandshake(SSLException e) {
        sendAlertIfAny();
        connection.closeWith(new TlsHandshakeException("TLS handshake with " + connection.peer() + " failed: " + reason(e), e));
    }

    /**
     * Runs the engine's delegated tasks (certificate checks, key exchange) on the blocking pool;
     * the handshake, or reading, resumes on the loop when they are done.
     */
    private void runDelegatedTasks() {
        List<Runnable> work = new ArrayList<>(2);
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            work.add(task);
        }
        offload(work);
    }

    /** Runs {@code work} on the blocking pool; the engine is left alone meanwhile, and {@link #tasksDone} resumes. */
    private void offload(List<Runnable> work) {
        tasksRunning = true;
        try {
            BlockingPool.shared().execute(() -> {
                RuntimeException failure = null;
                try {
                    for (Runnable r : work) {
                        r.run();
                    }
                } catch (RuntimeException e) {
                    failure = e;
                }
                RuntimeException failed = failure;
                connection.onLoop(() -> tasksDone(failed));
            });
        } catch (RejectedExecutionException e) {
            tasksRunning = false;
            connection.closeWith(new TlsHandshakeException("TLS with " + connection.peer()
                    + " failed: the blocking pool refused the engine's tasks (" + e.getMessage() + ")", e));
        }
    }

    private void tasksDone(RuntimeException failure) {
        tasksRunning = false;
        if (!connection.isOpen()) {
            return;
        }
        if (failure instanceof java.io.UncheckedIOException unchecked && unchecked.getCause() instanceof SSLException ssl) {
            failHandshake(ssl);
        } else if (failure != null) {
            connection.closeWith(new TlsHandshakeException("TLS with " + connection.peer() + " failed in a delegated task: " + failure, failure));
        } else if (handshaking) {
            drive();
        } else {
            connection.outbound.writable();
            readable();
        }
    }

    // ---- reading -----------------------------------------------------------------------------

    /** Loop thread: OP_READ, or demand came for records already read. Delivers while there is demand. */
    void readable() {
        if (handshaking) {
            drive();
            return;
        }
        if (reading || tasksRunning || !connection.isOpen()) {
            return;
        }
        reading = true;
        ByteBuffer in = null;
        Inbound inbound = connection.inbound;
        int maxReads = connection.options.maxReadsPerReadiness();
        try {
            int reads = 0;
            while (connection.isOpen() && inbound.wantsRead() && !tasksRunning) {
                if (appIn != null) {
                    deliver(appIn);
                    continue;
                }
                if (in == null) {
                    in = claimIn();
                }
                if (in.hasRemaining()) {
                    ByteBuffer app = appScratch();
                    SSLEngineResult result = engine.unwrap(in, app);
                    SSLEngineResult.Status status = result.getStatus();
                    if (status == SSLEngineResult.Status.CLOSED) {
                        closeNotifyReceived();
                        break;
                    }
                    if (status == SSLEngineResult.Status.OK && (result.bytesConsumed() > 0 || result.bytesProduced() > 0)) {
                        if (!afterHandshakeStep(result.getHandshakeStatus())) {
                            break;
                        }
                        if (result.bytesProduced() > 0) {
                            deliver(app.flip());
                        }
                        continue;
                    }
                    if (status == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                        appBufferSize = app.capacity() * 2;
                        continue;
                    }
                    // BUFFER_UNDERFLOW: a record is cut; read the rest
                }
                if (reads == maxReads || (reads > 0 && lastReadShort)) {
                    // Enough reads, or the last one found the kernel empty: let the other
                    // connections read. Only a record cut short is kept here (this point is
                    // reached only when no whole record is left), so the rest of it, in the
                    // kernel, brings OP_READ back: no task is needed, and none is queued (a task
                    // would serve this connection again before the others' readiness).
                    break;
                }
                reads++;
                in = readMore(in);
                if (readResult < 0) {
                    endOfStream(in);
                    break;
                }
                if (readResult == 0) {
                    break;
                }
            }
        } catch (SSLException e) {
            sendAlertIfAny();
            // TLS 1.3: a client's handshake is done before the server judges it; the server's
            // verdict (certificate_required, bad_certificate...) comes as an alert on a later read.
            connection.closeWith(e instanceof SSLHandshakeException
                    ? new TlsHandshakeException("TLS handshake with " + connection.peer() + " failed: " + reason(e), e)
                    : new TlsException("TLS with " + connection.peer() + " failed: " + reason(e), e));
        } catch (IOException e) {
            connection.closeWith(Peers.translate(e, "read from", connection.peer()));
        } finally {
            if (in != null) {
                releaseIn(in);
            }
            reading = false;
        }
        connection.updateInterest();
    }

    /** Inbound demand grew: records already read are delivered without waiting for OP_READ. */
    void demanded() {
        if (!reading && !handshaking && (netIn != null || appIn != null)) {
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        if (drainScheduled) {
            return;
        }
        drainScheduled = true;
        connection.onLoop(() -> {
            drainScheduled = false;
            readable();
        });
    }

    /**
     * After an unwrap once the handshake is done. TLS 1.3 has post-handshake messages (session
     * tickets, key updates) the engine may need to answer; in TLS 1.2 anything but
     * NOT_HANDSHAKING means the peer started a renegotiation, which is refused.
     *
     * @return false when reading must stop here
     */
    private boolean afterHandshakeStep(HandshakeStatus status) throws IOException {
        if (status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED) {
            return true;
        }
        if (!"TLSv1.3".equals(session.getProtocol())) {
            connection.closeWith(new TlsException("TLS with " + connection.peer() + " failed: the peer started a renegotiation,"
                    + " which is refused", null));
            return false;
        }
        if (status == HandshakeStatus.NEED_TASK) {
            runDelegatedTasks();
            return false;
        }
        while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            wrapAndWrite(NO_BUFFERS, 1); // a key update's answer, say
            if (produced == 0) {
                break;
            }
        }
        flushNetOut();
        return true;
    }

    /** Hands a chunk of at most {@code readBufferSize} bytes of {@code plain} (read mode) to the inbound. */
    private void deliver(ByteBuffer plain) {
        int size = Math.min(plain.remaining(), connection.options.readBufferSize());
        ByteBuffer chunk = ByteBuffer.allocate(size);
        int limit = plain.limit();
        chunk.put(plain.limit(plain.position() + size)).flip();
        plain.limit(limit);
        if (plain == appIn) {
            if (!plain.hasRemaining()) {
                appIn = null;
            }
        } else if (plain.hasRemaining()) {
            keepPlaintext(plain);
        }
        connection.inbound.deliver(chunk);
    }

    private void keepPlaintext(ByteBuffer plain) {
        ByteBuffer kept = ByteBuffer.allocate((appIn == null ? 0 : appIn.remaining()) + plain.remaining());
        if (appIn != null) {
            kept.put(appIn);
        }
        appIn = kept.put(plain).flip();
    }

    /** The peer's close_notify: the inbound completes; with TLS 1.2 the engine answers and the connection ends. */
    private void closeNotifyReceived() throws IOException {
        connection.inbound.endOfInput();
        if (!connection.isOpen()) {
            return;
        }
        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            wrapAndWrite(NO_BUFFERS, 1); // close_notify in answer
            flushNetOut();
        }
        if (engine.isOutboundDone() && connection.isOpen()) {
            connection.closeWith(ConnectionClosedException.routine("TLS session with " + connection.peer() + " closed by the peer"));
        }
    }

    /** End of stream without close_notify, maybe in the middle of a record. */
    private void endOfStream(ByteBuffer in) {
        if (in.hasRemaining()) {
            connection.closeWith(new TlsException("TLS record from " + connection.peer() + " cut short: the peer closed the connection"
                    + " mid-record (" + in.remaining() + " bytes of it came)", null));
            in.position(in.limit());
            return;
        }
        try {
            engine.closeInbound();
        } catch (SSLException e) {
            if (!options.allowTruncation()) {
                connection.closeWith(new TlsException("TLS stream from " + connection.peer() + " truncated: the peer closed the"
                        + " connection without close_notify", e));
                return;
            }
        }
        connection.inbound.endOfInput();
    }

    // ---- writing -----------------------------------------------------------------------------

    /**
     * Writes the records the kernel refused before; true when none is left.
     *
     * @throws IOException from the socket
     */
    boolean flushNetOut() throws IOException {
        ByteBuffer out = netOut;
        if (out == null) {
            return true;
        }
        if (connection.channel.write(out) > 0) {
            connection.didWrite();
        }
        if (out.hasRemaining()) {
            return false;
        }
        netOut = null;
        IoScratch.get().giveBack(out);
        return true;
    }

    /**
     * Wraps plaintext from {@code sources[0, count)} into records, a few per system call, and
     * writes them; what the kernel refuses stays in {@link #netOut} (and when records still wait
     * there, the new ones queue behind them unwritten).
     *
     * @return plaintext bytes consumed
     */
    long wrapAndWrite(ByteBuffer[] sources, int count) throws IOException {
        int packet = packetSize();
        ByteBuffer out = IoScratch.get().tlsOut(packet * RECORDS_PER_WRITE);
        long consumed = 0;
        while (out.remaining() >= packet) {
            SSLEngineResult result = engine.wrap(sources, 0, count, out);
            consumed += result.bytesConsumed();
            SSLEngineResult.Status status = result.getStatus();
            if (status == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                if (out.position() > 0) {
                    break; // full: write what is there first
                }
                out = IoScratch.get().tlsOut(out.capacity() * 2); // the engine wants more room than the session said
                continue;
            }
            if (status != SSLEngineResult.Status.OK || result.bytesProduced() == 0) {
                break;
            }
            if (!anyRemaining(sources, count) && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                break; // a handshake flight of several records goes out in one write
            }
        }
        out.flip();
        produced = out.remaining();
        if (out.hasRemaining()) {
            write(out);
        }
        return consumed;
    }

    /** Writes {@code out} (scratch, read mode), keeping what the kernel refuses in {@link #netOut}. */
    private void write(ByteBuffer out) throws IOException {
        if (netOut != null) {
            netOut = append(netOut, out); // behind records still waiting: queue, do not write past them
            return;
        }
        if (connection.channel.write(out) > 0) {
            connection.didWrite();
        }
        if (out.hasRemaining()) {
            netOut = IoScratch.get().keepTlsOut(out); // the scratch changes hands: no copy
        }
    }

    /** Sends the next bytes of a file: read on the loop (from the page cache, as sendfile would), wrapped, written. */
    void wrapFile(FileRegion region) throws IOException {
        ByteBuffer chunk = IoScratch.get().tlsFile();
        chunk.limit((int) Math.min(chunk.capacity(), region.remaining()));
        region.readAt(chunk);
        chunk.flip();
        long consumed = wrapAndWrite(new ByteBuffer[] {chunk}, 1);
        region.advance(consumed);
    }

    /** Queues close_notify (once), behind the records still waiting; {@link #closeNotifyFlushed()} tells when the kernel has it. */
    void queueCloseNotify() throws IOException {
        if (closeNotifyQueued) {
            return;
        }
        closeNotifyQueued = true;
        engine.closeOutbound();
        wrapAndWrite(NO_BUFFERS, 1);
    }

    boolean closeNotifyFlushed() {
        return closeNotifyQueued && netOut == null;
    }

    /**
     * Loop thread, as the connection closes: a local close sends close_notify if the socket takes
     * it at once. The engine is left alone while a pool thread runs its tasks (they hold its lock).
     */
    void closing(Throwable cause) {
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
        }
        if (!tasksRunning) {
            if (!handshaking && !closeNotifyQueued && netOut == null && cause instanceof ConnectionClosedException) {
                try {
                    queueCloseNotify();
                } catch (IOException | RuntimeException e) {
                    // best effort: the socket closes anyway
                }
            }
            engine.closeOutbound();
        }
        netIn = null;
        appIn = null;
        netOut = null;
        TcpClient.ConnectSubscription waiter = awaitingHandshake;
        awaitingHandshake = null;
        if (waiter != null) {
            waiter.failed(cause);
        }
        handshakeResult.completeExceptionally(cause); // no effect once it succeeded
    }

    /** After a fatal error: the engine has an alert to send; one attempt, the socket closes anyway. */
    private void sendAlertIfAny() {
        try {
            engine.closeOutbound();
            if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && netOut == null) {
                wrapAndWrite(NO_BUFFERS, 1);
            }
        } catch (IOException | RuntimeException e) {
            // the socket closes anyway
        }
    }

    // ---- buffers -----------------------------------------------------------------------------

    /** The scratch input buffer in read mode, holding the records kept from before. */
    private ByteBuffer claimIn() {
        ByteBuffer kept = netIn;
        if (kept != null) {
            netIn = null;
            return kept; // records kept from before: go on in their buffer, no copy
        }
        int room = Math.max(packetSize(), connection.options.readBufferSize());
        return IoScratch.get().claimTlsIn(room).flip();
    }

    /**
     * Keeps what is left of {@code in} (read mode) in {@link #netIn}: the buffer itself changes
     * hands (the loop's scratch buffer becomes this connection's, and a spare takes its place),
     * so that a record cut at the end of a read costs no copy and no allocation. An emptied buffer
     * of this connection's goes back to the loop's spares.
     */
    private void releaseIn(ByteBuffer in) {
        IoScratch scratch = IoScratch.get();
        if (in.hasRemaining() && connection.isOpen()) {
            netIn = scratch.keepTlsIn(in);
        } else {
            scratch.releaseTlsIn(in);
        }
    }

    /**
     * Reads more of the stream behind what {@code in} (read mode) holds; sets {@link #readResult}.
     * Returns the buffer to go on with, in read mode: {@code in}, or a larger one if it was full.
     */
    private ByteBuffer readMore(ByteBuffer in) throws IOException {
        int packet = packetSize();
        int room = Math.max(packet, connection.options.readBufferSize());
        if (in.capacity() - in.remaining() < packet) {
            ByteBuffer larger = ByteBuffer.allocate(in.remaining() + room);
            larger.put(in);
            IoScratch.get().releaseTlsIn(in.clear());
            in = larger;
        } else {
            in.compact();
        }
        in.limit(Math.min(in.capacity(), in.position() + room));
        int asked = in.remaining();
        int n = connection.channel.read(in);
        in.flip();
        readResult = n;
        lastReadShort = n < asked;
        if (n > 0) {
            connection.didRead();
        }
        return in;
    }

    /** The largest record; from the session once the handshake is done (it may grow: read each time, no lock). */
    private int packetSize() {
        SSLSession s = session;
        return s != null ? s.getPacketBufferSize() : engine.getSession().getPacketBufferSize();
    }

    private static boolean anyRemaining(ByteBuffer[] buffers, int count) {
        for (int i = 0; i < count; i++) {
            if (buffers[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    /** {@code queue} (read mode) with {@code more} behind it, in {@code queue}'s buffer if it has room. */
    private static ByteBuffer append(ByteBuffer queue, ByteBuffer more) {
        queue.compact();
        if (queue.remaining() >= more.remaining()) {
            return queue.put(more).flip();
        }
        queue.flip();
        return ByteBuffer.allocate(queue.remaining() + more.remaining()).put(queue).put(more).flip();
    }

    /**
     * What went wrong, in words, from the engine's exception and its causes. A certificate's
     * validity is looked for first, down the whole chain: the JDK wraps it in a PKIX failure
     * ("PKIX path validation failed: ... validity check failed") that would otherwise read as
     * "not trusted".
     */
    static String reason(SSLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException
                    || (t instanceof CertPathValidatorException v && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED)) {
                return "the certificate has expired (" + t.getMessage() + ")";
            }
            if (t instanceof CertificateNotYetValidException
                    || (t instanceof CertPathValidatorException v && v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID)) {
                return "the certificate is not yet valid (" + t.getMessage() + ")";
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            String lower = m.toLowerCase(Locale.ROOT);
            if (lower.contains("no subject alternative") || lower.contains("no name matching")) {
                return "the certificate does not match the host name (" + m + ")";
            }
            if (lower.contains("unable to find valid certification path") || lower.contains("pkix path")) {
                return "the certificate is not trusted (" + m + ")";
            }
            // "Unsupported or unrecognized SSL message", "Unrecognized SSL message, plaintext
            // connection?", "Unrecognized record version TLSv0.0 , plaintext connection?"
            if (lower.contains("unrecognized ssl message") || lower.contains("plaintext connection")) {
                return "the peer did not speak TLS: plain text or another protocol where a TLS record was expected (" + m + ")";
            }
            if (t instanceof AEADBadTagException || lower.contains("tag mismatch") || lower.contains("bad record mac")) {
                return "a record failed its integrity check: altered on the way, or not sent in this session (" + m + ")";
            }
            if (lower.contains("no appropriate protocol") || lower.contains("protocol_version")
                    || lower.contains("supported protocol versions")) {
                return "no TLS version in common (" + m + ")";
            }
            if (lower.contains("received fatal alert")) {
                return "the peer ended the session with a fatal alert (" + m + ")";
            }
            if (lower.contains("empty client certificate chain") || lower.contains("empty server certificate chain")) {
                return "no certificate was presented (" + m + ")";
            }
        }
        return String.valueOf(e.getMessage());
    }
}

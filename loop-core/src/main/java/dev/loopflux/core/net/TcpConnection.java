package dev.loopflux.core.net;

import dev.loopflux.core.IoHandler;
import dev.loopflux.core.IoRegistration;
import dev.loopflux.core.Loop;
import dev.loopflux.core.TimerHandle;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;

/**
 * A {@link Connection} on a {@link SocketChannel}: the readiness handler, the interest set, the
 * idle timer and closing. Reading is {@link Inbound}'s, writing {@link Outbound}'s.
 *
 * <p>Threading: every field is touched on the loop thread only, except {@link #open} (read
 * anywhere). Public methods hop onto the loop.
 */
final class TcpConnection implements Connection, IoHandler {
    /** {@link #onClose()} of every connection asked only after it closed. */
    private static final CompletionStage<Void> CLOSED = CompletableFuture.completedStage(null);
    private static final VarHandle CLOSE_FUTURE;

    static {
        try {
            CLOSE_FUTURE = MethodHandles.lookup().findVarHandle(TcpConnection.class, "closeFuture", CompletionStage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Loop loop;
    final SocketChannel channel;
    final TcpOptions options;
    final Inbound inbound;
    final Outbound outbound;
    /** The TLS engine between the socket and the two sides, or null for plain bytes. */
    final TlsLayer tls;
    private final SocketAddress remoteAddress;
    /**
     * What {@link #onClose()} returns: null until somebody asks or the connection closes (most
     * connections are never asked, so they do not carry one), then a future completed at close,
     * or {@link #CLOSED} if the close came first. Set by compare-and-set from both sides.
     */
    private volatile CompletionStage<Void> closeFuture;
    /** Told once, on the loop thread, when the connection closes (the server's bookkeeping). */
    private final Consumer<TcpConnection> onClosed;

    private IoRegistration registration;
    /** The interest set last given to the registration, so unchanged sets cost nothing. */
    private int interest;
    private volatile boolean open = true;
    /** Set when a client connect is under way: OP_CONNECT readiness goes to it. */
    private TcpClient.ConnectSubscription connecting;

    // Idle timeouts (loop thread). lastRead restarts when reading is wanted again, so a
    // subscriber that pauses is not timed out for its own pause.
    private final boolean trackIdle;
    private long lastRead;
    private long lastWrite;
    private TimerHandle idleTimer;

    TcpConnection(Loop loop, SocketChannel channel, SocketAddress remote, TcpOptions options, Consumer<TcpConnection> onClosed) {
        this.loop = loop;
        this.channel = channel;
        this.options = options;
        this.onClosed = onClosed;
        this.remoteAddress = remote;
        this.inbound = new Inbound(this);
        this.outbound = new Outbound(this);
        this.tls = options.tls() == null ? null : newTls(options.tls(), remote);
        this.trackIdle = !options.readIdleTimeout().isZero() || !options.writeIdleTimeout().isZero()
                || !options.idleTimeout().isZero();
    }

    private TlsLayer newTls(TlsOptions tlsOptions, SocketAddress remote) {
        String host = null;
        int port = -1;
        if (!tlsOptions.isServer()) {
            host = tlsOptions.serverName();
            if (remote instanceof java.net.InetSocketAddress inet) {
                port = inet.getPort();
                if (host == null) {
                    host = inet.getHostString();
                }
            }
        }
        return new TlsLayer(this, tlsOptions, host, port);
    }

    /** Loop thread: registers the channel, with {@code ops} (OP_CONNECT for a client still connecting). */
    void start(int ops, TcpClient.ConnectSubscription connect) throws IOException {
        this.connecting = connect;
        this.interest = ops;
        try {
            registration = loop.register(channel, ops, this).join();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            closeWith(cause instanceof IOException io ? io : new IOException("cannot register " + peer(), cause));
            throw cause instanceof IOException io ? io : new IOException("cannot register " + peer(), cause);
        }
        if (connect == null) {
            connected(null);
        }
    }

    /**
     * Loop thread: the connection is established; idle timing starts, and the TLS handshake.
     * {@code client} is a client's connect, told when the connection is ready for use (at once
     * on plain TCP, after the handshake with TLS), or null on a server.
     */
    void connected(TcpClient.ConnectSubscription client) {
        connecting = null;
        updateInterest();
        if (trackIdle) {
            lastRead = lastWrite = loop.nanoTime();
            scheduleIdleCheck();
        }
        if (tls != null) {
            tls.begin(client);
        } else if (client != null) {
            client.ready();
        }
    }

    // ---- Connection ----------------------------------------------------------------------

    @Override
    public Publisher<ByteBuffer> inbound() {
        return inbound;
    }

    @Override
    public Publisher<Void> send(Publisher<ByteBuffer> data) {
        java.util.Objects.requireNonNull(data, "data");
        return subscriber -> outbound.subscribe(data, subscriber);
    }

    @Override
    public Publisher<Void> sendFile(java.nio.file.Path path, long position, long count) {
        FileSend file = new FileSend(java.util.Objects.requireNonNull(path, "path"), position, count);
        return subscriber -> outbound.subscribe(file, subscriber);
    }

    @Override
    public void shutdownOutput() {
        onLoop(outbound::shutdownOutput);
    }

    @Override
    public void close() {
        onLoop(() -> closeWith(ConnectionClosedException.routine("connection to " + peer() + " closed locally")));
    }

    @Override
    public CompletionStage<Void> onClose() {
        CompletionStage<Void> f = closeFuture;
        if (f == null) {
            CompletableFuture<Void> made = new CompletableFuture<>();
            // Either this wins (the close, later, completes it) or the close already put CLOSED.
            f = CLOSE_FUTURE.compareAndSet(this, null, made) ? made : closeFuture;
        }
        return f;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public Loop loop() {
        return loop;
    }

    /** Read from the channel each time: a client's is known only once its connect completes. */
    @Override
    public SocketAddress localAddress() {
        try {
            return channel.getLocalAddress();
        } catch (IOException e) {
            return null; // closed
        }
    }

    @Override
    public SocketAddress remoteAddress() {
        return remoteAddress;
    }

    @Override
    public javax.net.ssl.SSLSession tlsSession() {
        return tls == null ? null : tls.session();
    }

    @Override
    public CompletionStage<javax.net.ssl.SSLSession> handshake() {
        return tls == null ? CompletableFuture.completedStage(null) : tls.handshakeResult();
    }

    @Override
    public String applicationProtocol() {
        return tls == null ? null : tls.applicationProtocol();
    }

    // ---- readiness -----------------------------------------------------------------------

    @Override
    public void onReady(IoRegistration registration, int readyOps) {
        if ((readyOps & SelectionKey.OP_CONNECT) != 0 && connecting != null) {
            connecting.finishConnect(this);
            return;
        }
        if ((readyOps & SelectionKey.OP_WRITE) != 0) {
            if (tls != null && tls.isHandshaking()) {
                tls.drive();
            } else {
                outbound.writable();
            }
        }
        if ((readyOps & SelectionKey.OP_READ) != 0 && open) {
            if (tls != null) {
                tls.readable();
            } else {
                inbound.readable();
            }
        }
    }

    @Override
    public void onDeregistered(IoRegistration registration, Throwable cause) {
        // The loop shut down, or a callback threw inside onReady: close with that cause. The usual
        // caller is closeWith itself (it cancels the registration): then nothing is to be made.
        if (open) {
            closeWith(cause != null ? cause : new ConnectionClosedException("connection to " + peer() + " deregistered"));
        }
    }

    /** Loop thread: sets OP_READ and OP_WRITE from what the two sides want now. */
    void updateInterest() {
        if (!open || connecting != null) {
            return;
        }
        boolean read = tls == null ? inbound.wantsRead() : tls.wantsRead();
        boolean write = outbound.wantsWrite() || (tls != null && tls.wantsWrite());
        int ops = (read ? SelectionKey.OP_READ : 0) | (write ? SelectionKey.OP_WRITE : 0);
        if (ops != interest) {
            if (trackIdle && (ops & SelectionKey.OP_READ) != 0 && (interest & SelectionKey.OP_READ) == 0) {
                lastRead = loop.nanoTime(); // reading is wanted again: the read-idle clock restarts
            }
            interest = ops;
            registration.interestOps(ops);
        }
    }

    void didRead() {
        if (trackIdle) {
            lastRead = loop.nanoTime();
        }
    }

    void didWrite() {
        if (trackIdle) {
            lastWrite = loop.nanoTime();
        }
    }

    /** Loop thread: both directions are finished; nothing is left to do on the socket. */
    void halfClosed() {
        if (inbound.isInputDone() && outbound.isOutputShut()) {
            closeWith(ConnectionClosedException.routine("connection to " + peer() + " closed after both sides shut down"));
        }
    }

    // ---- idle timeouts -------------------------------------------------------------------

    private void scheduleIdleCheck() {
        long next = Long.MAX_VALUE;
        long now = loop.nanoTime();
        next = Math.min(next, deadline(options.readIdleTimeout(), lastRead, (interest & SelectionKey.OP_READ) != 0));
        next = Math.min(next, deadline(options.writeIdleTimeout(), lastWrite, true));
        next = Math.min(next, deadline(options.idleTimeout(), Math.max(lastRead, lastWrite), true));
        if (next == Long.MAX_VALUE) {
            // Only a read timeout is set and nobody wants to read: look again one timeout from now.
            next = now + options.readIdleTimeout().toNanos();
        }
        idleTimer = loop.schedule(this::checkIdle, Math.max(0, next - now), TimeUnit.NANOSECONDS);
    }

    private static long deadline(Duration timeout, long since, boolean applies) {
        return timeout.isZero() || !applies ? Long.MAX_VALUE : since + timeout.toNanos();
    }

    private void checkIdle() {
        if (!open) {
            return;
        }
        long now = loop.nanoTime();
        Duration read = options.readIdleTimeout();
        Duration write = options.writeIdleTimeout();
        Duration both = options.idleTimeout();
        if (!both.isZero() && now - Math.max(lastRead, lastWrite) >= both.toNanos()) {
            closeWith(new IdleTimeoutException("connection to " + peer() + " idle for " + both.toMillis() + " ms", both));
        } else if (!read.isZero() && (interest & SelectionKey.OP_READ) != 0 && now - lastRead >= read.toNanos()) {
            closeWith(new ReadIdleTimeoutException("nothing read from " + peer() + " for " + read.toMillis() + " ms", read));
        } else if (!write.isZero() && now - lastWrite >= write.toNanos()) {
            closeWith(new WriteIdleTimeoutException("nothing written to " + peer() + " for " + write.toMillis() + " ms", write));
        } else {
            scheduleIdleCheck();
        }
    }

    // ---- closing -------------------------------------------------------------------------

    /**
     * Loop thread: closes the socket, tells the inbound subscriber and every pending send
     * {@code cause}, completes {@link #onClose()}. Idempotent.
     */
    void closeWith(Throwable cause) {
        if (!open) {
            return;
        }
        open = false;
        if (idleTimer != null) {
            idleTimer.cancel();
        }
        if (tls != null) {
            tls.closing(cause); // before the socket closes: a local close sends close_notify
        }
        if (registration != null) {
            registration.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        if (connecting != null) {
            connecting.failed(cause);
        }
        inbound.closed(cause);
        outbound.closed(cause);
        try {
            onClosed.accept(this);
        } finally {
            if (!CLOSE_FUTURE.compareAndSet(this, null, CLOSED)) {
                ((CompletableFuture<Void>) closeFuture).complete(null); // somebody asked first
            }
        }
    }

    /** Runs {@code action} on the loop: now if on it, else as a task; after the loop ended, not at all. */
    void onLoop(Runnable action) {
        if (loop.inLoop()) {
            action.run();
        } else {
            try {
                loop.execute(action);
            } catch (RejectedExecutionException e) {
                // The loop has shut down, and it closed this connection as it did.
            }
        }
    }

    /** Signals {@code onSubscribe} then {@code onError} to a subscriber the connection cannot serve. */
    static void reject(Subscriber<?> subscriber, Throwable error) {
        subscriber.onSubscribe(EmptySubscription.INSTANCE);
        subscriber.onError(error);
    }

    /**
     * The peer as messages name it. Made when a message needs it, not kept: an idle connection
     * should not hold a string it may never print.
     */
    String peer() {
        return Peers.describe(remoteAddress);
    }

    @Override
    public String toString() {
        return "Connection[" + Peers.describe(localAddress()) + " <-> " + peer() + (open ? "" : ", closed") + "]";
    }
}

package dev.loopflux.core.net;

import dev.loopflux.core.IoHandler;
import dev.loopflux.core.IoRegistration;
import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.TimerHandle;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A listening stream socket (TCP on IPv4 or IPv6, or a Unix domain socket) whose accepted
 * connections are a {@link Publisher}.
 *
 * <p>One loop of the group accepts; each accepted connection is handed to the next loop of the
 * group, round-robin, for its whole life. {@code OP_ACCEPT} is on only while
 * {@link #connections()} has demand: a subscriber that stops requesting leaves new connections
 * in the kernel's backlog and nothing piles up in the heap.
 *
 * <p>Past {@link TcpOptions#maxConnections()} open connections, a new one is closed as soon as it
 * is accepted, counted in {@link #refusedConnections()} and logged at {@code DEBUG}; open ones
 * are not affected.
 *
 * <p>Threading: every method is safe from any thread. The signals of {@link #connections()} are
 * delivered on the accepting loop's thread; each connection's own signals on its loop's thread.
 */
public final class TcpServer {
    private static final System.Logger LOGGER = System.getLogger(TcpServer.class.getName());
    /** Accepts per readiness at most, so that a connection storm cannot starve the loop's other channels. */
    private static final int MAX_ACCEPTS_PER_READINESS = 64;
    /** After an accept error (such as too many open files), accepting pauses this long instead of spinning. */
    private static final long ACCEPT_ERROR_BACKOFF_MILLIS = 100;

    private final Loop acceptLoop;
    private final Supplier<Loop> connectionLoops;
    private final ServerSocketChannel channel;
    private final SocketAddress localAddress;
    private final TcpOptions options;
    private final Acceptor acceptor = new Acceptor();
    private final Set<TcpConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger openCount = new AtomicInteger();
    /** Every connection's close hook: one instance, so an accepted connection costs no lambda of its own. */
    private final Consumer<TcpConnection> onConnectionClosed = connection -> {
        open.remove(connection);
        openCount.decrementAndGet();
    };
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    private TcpServer(Loop acceptLoop, Supplier<Loop> connectionLoops, ServerSocketChannel channel, TcpOptions options)
            throws IOException {
        this.acceptLoop = acceptLoop;
        this.connectionLoops = connectionLoops;
        this.channel = channel;
        this.options = options;
        this.localAddress = channel.getLocalAddress();
    }

    /**
     * Binds {@code address} and accepts on one loop of {@code group}, spreading connections over
     * all of them. The bind is a system call made on the calling thread; the rest is handed to
     * the accepting loop without waiting for it, so any thread may bind, a loop's included.
     *
     * @throws BindException naming the address, if it cannot be bound
     */
    public static TcpServer bind(LoopGroup group, SocketAddress address, TcpOptions options) throws IOException {
        Objects.requireNonNull(group, "group");
        return bind(group.next(), group::next, address, options);
    }

    /** Binds {@code address}; accepting and every connection run on {@code loop}. */
    public static TcpServer bind(Loop loop, SocketAddress address, TcpOptions options) throws IOException {
        Objects.requireNonNull(loop, "loop");
        return bind(loop, () -> loop, address, options);
    }

    private static TcpServer bind(Loop acceptLoop, Supplier<Loop> loops, SocketAddress address, TcpOptions options)
            throws IOException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(options, "options");
        if (options.tls() != null && !options.tls().isServer()) {
            throw new IllegalArgumentException("a server needs server TLS options (TlsOptions.server(...)), not a client's");
        }
        boolean unix = address instanceof UnixDomainSocketAddress;
        ServerSocketChannel channel = unix ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
        try {
            if (!unix) {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, options.reuseAddress());
                if (options.receiveBufferSize() > 0) {
                    channel.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
                }
            }
            try {
                channel.bind(address, options.backlog());
            } catch (IOException e) {
                BindException bind = new BindException("cannot bind " + Peers.describe(address) + ": " + e.getMessage());
                bind.initCause(e);
                throw bind;
            }
            TcpServer server = new TcpServer(acceptLoop, loops, channel, options);
            server.register();
            return server;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Registers the listener on the accepting loop. On that loop's thread (a
     * {@link dev.loopflux.core.TestLoop}'s driver, or a task binding a server) it registers at
     * once; from any other thread it queues the registration as a task and returns without
     * waiting, so that binding never blocks a thread, a loop's least of all. The task comes before
     * anything asked of the server afterwards (those hop onto the same loop), and the kernel
     * queues connections in the backlog meanwhile.
     */
    private void register() throws IOException {
        if (acceptLoop.inLoop()) {
            try {
                acceptor.registration = acceptLoop.register(channel, 0, acceptor).join();
                return;
            } catch (java.util.concurrent.CompletionException e) {
                throw new IOException("cannot register server " + Peers.describe(localAddress), e.getCause());
            }
        }
        try {
            acceptLoop.execute(acceptor::registerNow);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IOException("cannot register server " + Peers.describe(localAddress) + ": its loop is shut down", e);
        }
    }

    /**
     * The accepted connections, in order, as the subscriber requests them. One subscriber at a
     * time (a second one gets {@code onError(IllegalStateException)}); after a cancel another may
     * subscribe. Completes when the server is closed.
     */
    public Publisher<Connection> connections() {
        return acceptor;
    }

    /** The bound address (with the actual port when bound to port 0). */
    public SocketAddress localAddress() {
        return localAddress;
    }

    /** The bound port, for TCP. */
    public int port() {
        return ((InetSocketAddress) localAddress).getPort();
    }

    /** Connections accepted and not yet closed. */
    public int openConnections() {
        return openCount.get();
    }

    /** Connections accepted and handed out since bind. */
    public long acceptedConnections() {
        return accepted.get();
    }

    /** Connections closed at once because {@link TcpOptions#maxConnections()} were open. */
    public long refusedConnections() {
        return refused.get();
    }

    /** Completes once the listening socket is closed (by {@link #close()} or its loop shutting down). */
    public CompletionStage<Void> onClose() {
        return closed;
    }

    /** True until the listening socket is closed. */
    public boolean isListening() {
        return !closed.isDone();
    }

    /** Stops accepting and closes the listening socket; open connections go on. Idempotent. */
    public CompletionStage<Void> close() {
        try {
            acceptLoop.execute(acceptor::closeListener);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            closeQuietly();
            closed.complete(null);
        }
        return closed;
    }

    /**
     * Stops accepting, then closes every open connection gracefully: each connection's output is
     * shut down after what it was sending, and any connection still open after {@code timeout}
     * is closed at once.
     *
     * @return completes when the listener and every connection are closed
     */
    public CompletionStage<Void> close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return close().thenCompose(ignored -> {
            CompletableFuture<?>[] all = open.stream().map(c -> {
                c.shutdownOutput();
                try {
                    TimerHandle deadline = c.loop.schedule(c::close, timeout.toNanos(), TimeUnit.NANOSECONDS);
                    c.onClose().thenRun(deadline::cancel);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    c.close(); // its loop is shutting down and closes it anyway
                }
                return c.onClose().toCompletableFuture();
            }).toArray(CompletableFuture<?>[]::new);
            return CompletableFuture.allOf(all);
        });
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.DEBUG, "closing server " + Peers.describe(localAddress), e);
        }
        if (localAddress instanceof UnixDomainSocketAddress unix) {
            try {
                Files.deleteIfExists(unix.getPath());
            } catch (IOException e) {
                LOGGER.log(System.Logger.Level.DEBUG, "deleting socket file " + unix.getPath(), e);
            }
        }
    }

    private void configure(SocketChannel socket) throws IOException {
        if (!(localAddress instanceof UnixDomainSocketAddress)) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, options.tcpNoDelay());
            if (options.sendBufferSize() > 0) {
                socket.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferSize());
            }
            if (options.receiveBufferSize() > 0) {
                socket.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
            }
        }
        socket.configureBlocking(false);
    }

    @Override
    public String toString() {
        return "TcpServer[" + Peers.describe(localAddress) + ", open=" + openCount.get() + "]";
    }

    /**
     * The accepting side: the publisher of connections, its subscription, and the handler of
     * {@code OP_ACCEPT}. Loop thread of {@link #acceptLoop} only, except where noted.
     */
    private final class Acceptor implements Publisher<Connection>, Subscription, IoHandler {
        private Subscriber<? super Connection> subscriber;
        private long demand;
        private IoRegistration registration;
        private boolean listening = true;
        private boolean pausedAfterError;

        @Override
        public void subscribe(Subscriber<? super Connection> s) {
            Objects.requireNonNull(s, "subscriber");
            onAcceptLoop(() -> {
                if (subscriber != null) {
                    TcpConnection.reject(s, new IllegalStateException(
                            "connections of server " + Peers.describe(localAddress) + " already have a subscriber"));
                    return;
                }
                subscriber = s;
                demand = 0;
                s.onSubscribe(this);
                if (!listening && subscriber == s) {
                    subscriber = null;
                    s.onComplete();
                }
            }, () -> TcpConnection.reject(s, new ConnectionClosedException("server " + Peers.describe(localAddress) + " is closed")));
        }

        @Override
        public void request(long n) {
            onAcceptLoop(() -> {
                if (subscriber == null) {
                    return;
                }
                if (n <= 0) {
                    Subscriber<? super Connection> s = subscriber;
                    cancelNow();
                    s.onError(new IllegalArgumentException("§3.9 violated: request(" + n + ") must be positive"));
                    return;
                }
                long d = demand + n;
                demand = d < 0 ? Long.MAX_VALUE : d;
                updateInterest();
            }, null);
        }

        @Override
        public void cancel() {
            onAcceptLoop(this::cancelNow, null);
        }

        private void cancelNow() {
            subscriber = null;
            demand = 0;
            updateInterest();
        }

        @Override
        public void onReady(IoRegistration registration, int readyOps) {
            for (int i = 0; i < MAX_ACCEPTS_PER_READINESS && demand > 0 && subscriber != null; i++) {
                SocketChannel socket;
                try {
                    socket = channel.accept();
                } catch (IOException e) {
                    acceptFailed(e);
                    return;
                }
                if (socket == null) {
                    break;
                }
                handOut(socket);
            }
            updateInterest();
        }

        private void handOut(SocketChannel socket) {
            SocketAddress remote;
            try {
                remote = socket.getRemoteAddress();
                if (openCount.incrementAndGet() > options.maxConnections()) {
                    openCount.decrementAndGet();
                    refused.incrementAndGet();
                    socket.close();
                    LOGGER.log(System.Logger.Level.DEBUG, () -> "server " + Peers.describe(localAddress) + " refused a connection from "
                            + Peers.describe(remote) + ": " + options.maxConnections() + " connections are open");
                    return;
                }
                configure(socket);
            } catch (IOException e) {
                closeSocket(socket);
                LOGGER.log(System.Logger.Level.DEBUG, "accepted connection failed before use", e);
                openCount.decrementAndGet();
                return;
            }
            Loop loop = connectionLoops.get();
            TcpConnection connection = new TcpConnection(loop, socket, remote, options, onConnectionClosed);
            open.add(connection);
            accepted.incrementAndGet();
            if (loop.inLoop()) {
                start(connection);
            } else {
                connection.onLoop(() -> start(connection)); // queued before anything the subscriber asks of it
            }
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
            subscriber.onNext(connection);
        }

        /** The connection's loop: registers it. */
        private void start(TcpConnection connection) {
            try {
                connection.start(0, null);
            } catch (IOException e) {
                LOGGER.log(System.Logger.Level.DEBUG, "cannot start " + connection, e);
            }
        }

        private void acceptFailed(IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "server " + Peers.describe(localAddress) + " cannot accept; pausing "
                    + ACCEPT_ERROR_BACKOFF_MILLIS + " ms", e);
            pausedAfterError = true;
            updateInterest();
            acceptLoop.schedule(() -> {
                pausedAfterError = false;
                updateInterest();
            }, ACCEPT_ERROR_BACKOFF_MILLIS, TimeUnit.MILLISECONDS);
        }

        /** Accept loop: the registration {@link #register()} queued. */
        void registerNow() {
            if (!listening) {
                return; // closed before its registration came round
            }
            try {
                registration = acceptLoop.register(channel, 0, this).join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                listening = false;
                closeQuietly();
                Subscriber<? super Connection> s = subscriber;
                subscriber = null;
                if (s != null) {
                    s.onError(new IOException("cannot register server " + Peers.describe(localAddress), cause));
                }
                closed.complete(null);
                return;
            }
            updateInterest(); // demand that came first, from a subscriber on this loop's own thread
        }

        private void updateInterest() {
            if (registration != null && listening) {
                boolean want = subscriber != null && demand > 0 && !pausedAfterError;
                registration.interestOps(want ? SelectionKey.OP_ACCEPT : 0);
            }
        }

        void closeListener() {
            if (!listening) {
                return; // closed already: the first close completes the future
            }
            listening = false;
            if (registration != null) {
                registration.cancel();
            }
            closeQuietly();
            Subscriber<? super Connection> s = subscriber;
            subscriber = null;
            if (s != null) {
                s.onComplete();
            }
            completeClosedAfterNextSelect();
        }

        /**
         * A registered channel's descriptor is released only when the selector processes the
         * cancelled key, in its next select; until then the port still listens (and accepts in
         * the kernel). A timer added now runs after that select, so {@link #close()} completes
         * once the port is free to bind again.
         */
        private void completeClosedAfterNextSelect() {
            try {
                acceptLoop.schedule(() -> closed.complete(null), 0, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                closed.complete(null); // the loop is shutting down: it closes its selector, and the channel with it
            }
        }

        @Override
        public void onDeregistered(IoRegistration registration, Throwable cause) {
            if (cause != null && listening) { // the loop shut down under us
                listening = false;
                closeQuietly();
                Subscriber<? super Connection> s = subscriber;
                subscriber = null;
                if (s != null) {
                    s.onError(cause);
                }
                closed.complete(null);
            }
        }

        private void onAcceptLoop(Runnable action, Runnable ifLoopGone) {
            if (acceptLoop.inLoop()) {
                action.run();
                return;
            }
            try {
                acceptLoop.execute(action);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                if (ifLoopGone != null) {
                    ifLoopGone.run();
                }
            }
        }
    }

    private static void closeSocket(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do for a socket we are dropping
        }
    }
}

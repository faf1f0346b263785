package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.TimerHandle;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Connects stream sockets (TCP or Unix domain). Each connect is a cold {@link Publisher} of zero
 * or one {@link Connection}: every subscription makes one attempt, started by the first
 * {@code request}; it emits the connection then completes, or fails with a
 * {@link ConnectException} naming the address ({@code "connection refused: 127.0.0.1:1234"}) or
 * a {@link ConnectTimeoutException}. Cancelling before it connects closes the socket.
 *
 * <p>Threading: safe from any thread; signals are delivered on the connection's loop.
 */
public final class TcpClient {

    private TcpClient() {
    }

    /**
     * Connects to {@code address} on {@code loop}, which will own the connection.
     *
     * @throws IllegalArgumentException given a server's TLS options, or TLS with hostname
     *         verification to an address without a host name (a Unix domain socket) and no
     *         {@link TlsOptions#serverName()}
     */
    public static Publisher<Connection> connect(Loop loop, SocketAddress address, TcpOptions options) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(address, "address");
        checkClientOptions(options, address);
        return subscriber -> subscribe(loop, address, options, subscriber);
    }

    /**
     * Connects to {@code address} on the group's next loop (chosen per subscription).
     *
     * @throws IllegalArgumentException as {@link #connect(Loop, SocketAddress, TcpOptions)}
     */
    public static Publisher<Connection> connect(LoopGroup group, SocketAddress address, TcpOptions options) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(address, "address");
        checkClientOptions(options, address);
        return subscriber -> subscribe(group.next(), address, options, subscriber);
    }

    private static void checkClientOptions(TcpOptions options, SocketAddress address) {
        Objects.requireNonNull(options, "options");
        TlsOptions tls = options.tls();
        if (tls == null) {
            return;
        }
        if (tls.isServer()) {
            throw new IllegalArgumentException("a client needs client TLS options (TlsOptions.client()), not a server's");
        }
        if (tls.hostnameVerification() && tls.serverName() == null && !(address instanceof java.net.InetSocketAddress)) {
            // Caught here, not as the JDK's "Hostname or IP address is undefined" from the handshake.
            throw new IllegalArgumentException("TLS to " + Peers.describe(address) + ": the address has no host name to check"
                    + " the server's certificate against; give TlsOptions.client().serverName(...) or turn hostnameVerification off");
        }
    }

    private static void subscribe(Loop loop, SocketAddress address, TcpOptions options, Subscriber<? super Connection> s) {
        Objects.requireNonNull(s, "subscriber");
        ConnectSubscription subscription = new ConnectSubscription(loop, address, options, s);
        if (loop.inLoop()) {
            s.onSubscribe(subscription);
            return;
        }
        try {
            loop.execute(() -> s.onSubscribe(subscription));
        } catch (RejectedExecutionException e) {
            TcpConnection.reject(s, new ConnectException("cannot connect to " + Peers.describe(address) + ": loop is shut down"));
        }
    }

    /** One connect attempt. Loop thread only, except the {@link Subscription} methods, which hop. */
    static final class ConnectSubscription implements Subscription {
        private final Loop loop;
        private final SocketAddress address;
        private final TcpOptions options;
        private final Subscriber<? super Connection> subscriber;
        private TcpConnection connection;
        private TimerHandle timeout;
        private boolean started;
        /** A terminal signal went out, or the subscriber cancelled. */
        private boolean done;

        ConnectSubscription(Loop loop, SocketAddress address, TcpOptions options, Subscriber<? super Connection> subscriber) {
            this.loop = loop;
            this.address = address;
            this.options = options;
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            if (!loop.inLoop()) {
                hop(() -> request(n));
                return;
            }
            if (done || started) {
                return;
            }
            if (n <= 0) {
                fail(new IllegalArgumentException("§3.9 violated: request(" + n + ") must be positive"));
                return;
            }
            started = true;
            begin();
        }

        @Override
        public void cancel() {
            if (!loop.inLoop()) {
                hop(this::cancel);
                return;
            }
            if (done) {
                return;
            }
            done = true;
            if (timeout != null) {
                timeout.cancel();
            }
            if (connection != null) {
                connection.closeWith(new ConnectionClosedException("connect to " + Peers.describe(address) + " cancelled"));
            }
        }

        private void begin() {
            boolean unix = address instanceof UnixDomainSocketAddress;
            SocketChannel channel = null;
            try {
                channel = unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
                channel.configureBlocking(false);
                if (!unix) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, options.tcpNoDelay());
                    if (options.sendBufferSize() > 0) {
                        channel.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferSize());
                    }
                    if (options.receiveBufferSize() > 0) {
                        channel.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
                    }
                }
                boolean connectedNow = channel.connect(address);
                connection = new TcpConnection(loop, channel, address, options, c -> { });
                if (connectedNow) {
                    connection.start(0, this);
                    connection.connected(this);
                } else {
                    connection.start(SelectionKey.OP_CONNECT, this);
                    if (!done) {
                        timeout = loop.schedule(this::timedOut, options.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
                    }
                }
            } catch (IOException e) {
                if (channel != null) {
                    try {
                        channel.close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                fail(connectError(e));
            }
        }

        /** Loop thread: OP_CONNECT fired on the connection's channel. */
        void finishConnect(TcpConnection c) {
            try {
                if (!c.channel.finishConnect()) {
                    return;
                }
            } catch (IOException e) {
                c.closeWith(connectError(e)); // calls failed()
                return;
            }
            c.connected(this);
        }

        /** Loop thread: the connection is ready for use (connected, and with TLS, the handshake done). */
        void ready() {
            succeed();
        }

        /** Loop thread: the connection closed before it was handed out. */
        void failed(Throwable cause) {
            fail(cause);
        }

        private void timedOut() {
            if (!done && connection != null) {
                connection.closeWith(new ConnectTimeoutException("connect timed out after "
                        + options.connectTimeout().toMillis() + " ms: " + Peers.describe(address)));
            }
        }

        private void succeed() {
            if (timeout != null) {
                timeout.cancel();
            }
            if (done) {
                return;
            }
            done = true;
            subscriber.onNext(connection);
            subscriber.onComplete();
        }

        private void fail(Throwable error) {
            if (timeout != null) {
                timeout.cancel();
            }
            if (!done) {
                done = true;
                subscriber.onError(error);
            }
        }

        private ConnectException connectError(IOException e) {
            if (e instanceof ConnectTimeoutException timeoutError) {
                return timeoutError;
            }
            String message = String.valueOf(e.getMessage());
            ConnectException error = message.toLowerCase(java.util.Locale.ROOT).contains("refused")
                    ? new ConnectException("connection refused: " + Peers.describe(address))
                    : new ConnectException("cannot connect to " + Peers.describe(address) + ": " + message);
            error.initCause(e);
            return error;
        }

        private void hop(Runnable action) {
            try {
                loop.execute(action);
            } catch (RejectedExecutionException e) {
                // the loop is gone; it closed the socket of this attempt as it shut down
            }
        }
    }
}

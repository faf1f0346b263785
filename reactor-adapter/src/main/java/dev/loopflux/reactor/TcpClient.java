package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.TcpOptions;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;

/**
 * Connects to a TCP (or Unix domain socket) server:
 *
 * <pre>{@code
 * Connection c = TcpClient.create().port(7007).connect().block();
 * c.outbound().sendString(Mono.just("hello\n")).then(c.inbound().receiveLines().next())...
 * }</pre>
 *
 * <p>Each subscription to {@link #connect()} makes one attempt. Failures name the address:
 * {@code connection refused: 127.0.0.1:7007}, or a {@link dev.loopflux.core.net.ConnectTimeoutException}.
 * Immutable: each method returns a new configuration.
 */
public final class TcpClient {
    private final SocketAddress address;
    private final String host;
    private final int port;
    private final LoopGroup group;
    private final Loop loop;
    private final TcpOptions options;

    private TcpClient(SocketAddress address, String host, int port, LoopGroup group, Loop loop, TcpOptions options) {
        this.address = address;
        this.host = host;
        this.port = port;
        this.group = group;
        this.loop = loop;
        this.options = options;
    }

    /** A client for 127.0.0.1, port 0 (set one), on the default loops. */
    public static TcpClient create() {
        return new TcpClient(null, "127.0.0.1", 0, null, null, TcpOptions.defaults());
    }

    public TcpClient host(String host) {
        return new TcpClient(null, Objects.requireNonNull(host, "host"), port, group, loop, options);
    }

    public TcpClient port(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port not in [0, 65535]: " + port);
        }
        return new TcpClient(null, host, port, group, loop, options);
    }

    /** An explicit address, such as a {@link java.net.UnixDomainSocketAddress}; replaces host and port. */
    public TcpClient remoteAddress(SocketAddress address) {
        return new TcpClient(Objects.requireNonNull(address, "address"), host, port, group, loop, options);
    }

    /** Connections go to the group's loops, round-robin. Default: the shared default group. */
    public TcpClient runOn(LoopGroup group) {
        return new TcpClient(address, host, port, Objects.requireNonNull(group, "group"), null, options);
    }

    /** Connections go to this loop (a {@code TestLoop}, say). */
    public TcpClient runOn(Loop loop) {
        return new TcpClient(address, host, port, null, Objects.requireNonNull(loop, "loop"), options);
    }

    public TcpClient options(TcpOptions options) {
        return new TcpClient(address, host, port, group, loop, Objects.requireNonNull(options, "options"));
    }

    public TcpClient options(UnaryOperator<TcpOptions.Builder> change) {
        return options(change.apply(TcpServer.copy(options)).build());
    }

    /**
     * Speaks TLS: {@code client.secure(TlsOptions.client().trust(ca).build())}. {@link #connect()}
     * emits the connection once the handshake is done, or fails with a
     * {@link dev.loopflux.core.net.TlsHandshakeException} saying why (certificate not trusted,
     * expired, for another host...).
     *
     * @throws IllegalArgumentException given a server's options
     */
    public TcpClient secure(dev.loopflux.core.net.TlsOptions tls) {
        if (Objects.requireNonNull(tls, "tls").isServer()) {
            throw new IllegalArgumentException("a client needs client TLS options (TlsOptions.client()), not a server's");
        }
        return options(o -> o.tls(tls));
    }

    public TcpClient connectTimeout(Duration timeout) {
        return options(o -> o.connectTimeout(timeout));
    }

    /** Connects when subscribed; the connection's signals run on its loop. */
    public Mono<Connection> connect() {
        return Mono.defer(() -> {
            SocketAddress where = address != null ? address : new InetSocketAddress(host, port);
            org.reactivestreams.Publisher<dev.loopflux.core.net.Connection> attempt = loop != null
                    ? dev.loopflux.core.net.TcpClient.connect(loop, where, options)
                    : dev.loopflux.core.net.TcpClient.connect(group != null ? group : LoopResources.defaultGroup(), where, options);
            return Mono.from(attempt).map(ReactorConnection::new);
        });
    }

    /** {@link #connect()} and wait for it. Blocking: never on a loop thread. */
    public Connection connectNow() {
        Duration handshake = options.tls() == null ? Duration.ZERO : options.tls().handshakeTimeout();
        return connect().block(options.connectTimeout().plus(handshake).plusSeconds(1));
    }
}

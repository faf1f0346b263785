package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.TcpOptions;
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
    private final Endpoint where;
    private final TcpOptions options;

    private TcpClient(Endpoint where, TcpOptions options) {
        this.where = where;
        this.options = options;
    }

    /** A client for 127.0.0.1, port 0 (set one), on the default loops. */
    public static TcpClient create() {
        return new TcpClient(Endpoint.LOOPBACK, TcpOptions.defaults());
    }

    public TcpClient host(String host) {
        return new TcpClient(where.withHost(host), options);
    }

    public TcpClient port(int port) {
        return new TcpClient(where.withPort(port), options);
    }

    /** An explicit address, such as a {@link java.net.UnixDomainSocketAddress}; replaces host and port. */
    public TcpClient remoteAddress(SocketAddress address) {
        return new TcpClient(where.withAddress(address), options);
    }

    /** Connections go to the group's loops, round-robin. Default: the shared default group. */
    public TcpClient runOn(LoopGroup group) {
        return new TcpClient(where.on(group), options);
    }

    /** Connections go to this loop (a {@code TestLoop}, say). */
    public TcpClient runOn(Loop loop) {
        return new TcpClient(where.on(loop), options);
    }

    public TcpClient options(TcpOptions options) {
        return new TcpClient(where, Objects.requireNonNull(options, "options"));
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
            SocketAddress address = where.resolve();
            org.reactivestreams.Publisher<dev.loopflux.core.net.Connection> attempt = where.loop() != null
                    ? dev.loopflux.core.net.TcpClient.connect(where.loop(), address, options)
                    : dev.loopflux.core.net.TcpClient.connect(where.groupOrDefault(), address, options);
            return Mono.from(attempt).map(ReactorConnection::new);
        });
    }

    /** {@link #connect()} and wait for it. Blocking: never on a loop thread. */
    public Connection connectNow() {
        Duration handshake = options.tls() == null ? Duration.ZERO : options.tls().handshakeTimeout();
        return connect().block(options.connectTimeout().plus(handshake).plusSeconds(1));
    }
}

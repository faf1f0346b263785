package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.UdpEndpoint;
import dev.loopflux.core.net.UdpOptions;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;

/**
 * Binds UDP sockets:
 *
 * <pre>{@code
 * UdpConnection server = Udp.create().port(9999).bind().block();
 * server.send(server.receive()).onErrorComplete().subscribe();      // echo, until disposed
 *
 * UdpConnection client = Udp.create().bind().block();               // any free port
 * client.send(Mono.just(Datagram.to(serverAddress, payload))).then(client.receive().next())...
 * }</pre>
 *
 * <p>Each subscription to {@link #bind()} binds one socket; it does not wait for the loop (the
 * socket is registered with its loop by a task). A port in use fails it with a
 * {@link java.net.BindException} naming the address. Immutable: each method returns a new
 * configuration.
 */
public final class Udp {
    /** Its address, when given, is an {@link InetSocketAddress} ({@link #bindAddress}). */
    private final Endpoint where;
    private final UdpOptions options;

    private Udp(Endpoint where, UdpOptions options) {
        this.where = where;
        this.options = options;
    }

    /** Binds 127.0.0.1, any free port, on the default loops, with default options. */
    public static Udp create() {
        return new Udp(Endpoint.LOOPBACK, UdpOptions.defaults());
    }

    /**
     * The host to bind (a literal address or a name). Default {@code 127.0.0.1}; {@code ::1} binds
     * IPv6. A name is resolved when {@link #bind()} is subscribed, on the subscribing thread: on a
     * loop, give a literal address.
     */
    public Udp host(String host) {
        return new Udp(where.withHost(host), options);
    }

    /** The port to bind; 0 (the default) for any free one. */
    public Udp port(int port) {
        return new Udp(where.withPort(port), options);
    }

    /** An explicit address; replaces host and port. */
    public Udp bindAddress(InetSocketAddress address) {
        return new Udp(where.withAddress(address), options);
    }

    /** The socket goes to the group's next loop. Default: the shared default group. */
    public Udp runOn(LoopGroup group) {
        return new Udp(where.on(group), options);
    }

    /** The socket goes to this loop. */
    public Udp runOn(Loop loop) {
        return new Udp(where.on(loop), options);
    }

    public Udp options(UdpOptions options) {
        return new Udp(where, Objects.requireNonNull(options, "options"));
    }

    public Udp options(UnaryOperator<UdpOptions.Builder> change) {
        return options(change.apply(options.toBuilder()).build());
    }

    /** Binds when subscribed; emits the socket, or fails with the bind error. */
    public Mono<UdpConnection> bind() {
        return Mono.<UdpConnection>fromCallable(() -> {
            return new ReactorUdpConnection(UdpEndpoint.bind(where.nextLoop(), (InetSocketAddress) where.resolve(), options));
        });
    }
}

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
    private final InetSocketAddress address;
    private final String host;
    private final int port;
    private final LoopGroup group;
    private final Loop loop;
    private final UdpOptions options;

    private Udp(InetSocketAddress address, String host, int port, LoopGroup group, Loop loop, UdpOptions options) {
        this.address = address;
        this.host = host;
        this.port = port;
        this.group = group;
        this.loop = loop;
        this.options = options;
    }

    /** Binds 127.0.0.1, any free port, on the default loops, with default options. */
    public static Udp create() {
        return new Udp(null, "127.0.0.1", 0, null, null, UdpOptions.defaults());
    }

    /**
     * The host to bind (a literal address or a name). Default {@code 127.0.0.1}; {@code ::1} binds
     * IPv6. A name is resolved when {@link #bind()} is subscribed, on the subscribing thread: on a
     * loop, give a literal address.
     */
    public Udp host(String host) {
        return new Udp(null, Objects.requireNonNull(host, "host"), port, group, loop, options);
    }

    /** The port to bind; 0 (the default) for any free one. */
    public Udp port(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port not in [0, 65535]: " + port);
        }
        return new Udp(null, host, port, group, loop, options);
    }

    /** An explicit address; replaces host and port. */
    public Udp bindAddress(InetSocketAddress address) {
        return new Udp(Objects.requireNonNull(address, "address"), host, port, group, loop, options);
    }

    /** The socket goes to the group's next loop. Default: the shared default group. */
    public Udp runOn(LoopGroup group) {
        return new Udp(address, host, port, Objects.requireNonNull(group, "group"), null, options);
    }

    /** The socket goes to this loop. */
    public Udp runOn(Loop loop) {
        return new Udp(address, host, port, null, Objects.requireNonNull(loop, "loop"), options);
    }

    public Udp options(UdpOptions options) {
        return new Udp(address, host, port, group, loop, Objects.requireNonNull(options, "options"));
    }

    public Udp options(UnaryOperator<UdpOptions.Builder> change) {
        return options(change.apply(options.toBuilder()).build());
    }

    /** Binds when subscribed; emits the socket, or fails with the bind error. */
    public Mono<UdpConnection> bind() {
        return Mono.<UdpConnection>fromCallable(() -> {
            InetSocketAddress where = address != null ? address : new InetSocketAddress(host, port);
            Loop target = loop != null ? loop : (group != null ? group : LoopResources.defaultGroup()).next();
            return new ReactorUdpConnection(UdpEndpoint.bind(target, where, options));
        });
    }
}

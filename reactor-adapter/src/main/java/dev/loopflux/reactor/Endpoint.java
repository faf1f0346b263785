package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * Where a {@link TcpServer}, {@link TcpClient} or {@link Udp} binds or connects, and on which
 * loops: the part of those configurations they share, validated in one place. Immutable.
 *
 * @param address an explicit address, or null for {@code host} and {@code port}
 * @param group the loops to use, or null for {@code loop}, or for the default group if both are null
 * @param loop one loop to use, or null
 */
record Endpoint(SocketAddress address, String host, int port, LoopGroup group, Loop loop) {
    /** 127.0.0.1, port 0, the default loops. */
    static final Endpoint LOOPBACK = new Endpoint(null, "127.0.0.1", 0, null, null);

    Endpoint withHost(String host) {
        return new Endpoint(null, Objects.requireNonNull(host, "host"), port, group, loop);
    }

    /** @throws IllegalArgumentException unless {@code 0 <= port <= 65535} */
    Endpoint withPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port not in [0, 65535]: " + port);
        }
        return new Endpoint(null, host, port, group, loop);
    }

    /** Replaces host and port. */
    Endpoint withAddress(SocketAddress address) {
        return new Endpoint(Objects.requireNonNull(address, "address"), host, port, group, loop);
    }

    Endpoint on(LoopGroup group) {
        return new Endpoint(address, host, port, Objects.requireNonNull(group, "group"), null);
    }

    Endpoint on(Loop loop) {
        return new Endpoint(address, host, port, null, Objects.requireNonNull(loop, "loop"));
    }

    /** The address to use; a host name is resolved now, on the calling thread. */
    SocketAddress resolve() {
        return address != null ? address : new InetSocketAddress(host, port);
    }

    /** The group to use when no single loop was given. */
    LoopGroup groupOrDefault() {
        return group != null ? group : LoopResources.defaultGroup();
    }

    /** The loop to use for one socket: the one given, or the group's next. */
    Loop nextLoop() {
        return loop != null ? loop : groupOrDefault().next();
    }
}

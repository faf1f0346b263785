package dev.loopflux.samples;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.reactor.DisposableServer;
import dev.loopflux.reactor.TcpClient;
import dev.loopflux.reactor.TcpServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * A TCP proxy with the Reactor API: each connection accepted is joined to a new connection to the
 * target, made on the same loop, and the bytes go both ways with
 * {@code back.outbound().send(in.receive())} and {@code out.send(back.inbound().receive())}.
 *
 * <p>Those are pipes: no handler code sees the bytes, so they go from one socket to the other
 * straight from the loop's read buffer, with no copy and no allocation while the other side keeps
 * up, and wait in the loop's spill buffers, under the high-water mark, while it does not. A slow
 * side slows the other one through TCP; the proxy's memory stays bounded. Each direction passes on
 * its end of stream as a half-close, and both connections close once both directions have ended,
 * or as soon as either fails (a refused target, a reset: printed on standard error).
 */
final class ProxySample implements AutoCloseable {
    static final String USAGE = "usage: proxy --to HOST:PORT [--port N (default 7009)] [--host H (default 127.0.0.1)]"
            + " [--loops N (default: cores)]";

    private final LoopGroup group;
    private final DisposableServer server;

    /**
     * Proxies {@code host:port} to {@code targetHost:targetPort}, which is resolved once, here (a
     * name lookup blocks: never on a loop).
     *
     * @throws IllegalArgumentException if the target's name does not resolve
     */
    ProxySample(String host, int port, int loops, String targetHost, int targetPort) {
        InetSocketAddress target = new InetSocketAddress(targetHost, targetPort);
        if (target.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve the target " + targetHost);
        }
        group = LoopGroup.create(LoopOptions.builder().name("proxy").loops(loops).build());
        try {
            server = TcpServer.create().host(host).port(port).runOn(group)
                    .handle((in, out) -> TcpClient.create().remoteAddress(target)
                            .runOn(out.connection().loop()) // the same loop: a pipe needs both ends on one thread
                            .connect()
                            .flatMap(back -> Mono.when(
                                            back.outbound().send(in.receive()).doOnSuccess(done -> back.outbound().shutdownOutput()),
                                            out.send(back.inbound().receive()).doOnSuccess(done -> out.shutdownOutput()))
                                    .doFinally(signal -> back.dispose()))
                            .doOnError(e -> System.err.println("proxy: " + out.connection().remoteAddress() + " closed: " + e)))
                    .bindNow();
        } catch (RuntimeException e) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(1));
            throw e;
        }
    }

    DisposableServer server() {
        return server;
    }

    /** The {@code proxy} command: serves until the process is stopped (Ctrl-C), then shuts down cleanly. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        String host;
        int port;
        int loops;
        String targetHost;
        int targetPort;
        try {
            Args options = Args.parse(args, Set.of("--to", "--port", "--host", "--loops"));
            host = options.string("--host", "127.0.0.1");
            port = options.integer("--port", 7009, 0, 65535);
            loops = options.integer("--loops", Runtime.getRuntime().availableProcessors(), 1, 1024);
            String to = options.string("--to", null);
            int colon = to == null ? -1 : to.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--to HOST:PORT is required, e.g. --to 127.0.0.1:7007");
            }
            targetHost = to.substring(0, colon);
            targetPort = Args.parse(new String[] {"--to-port", to.substring(colon + 1)}, Set.of("--to-port"))
                    .integer("--to-port", 0, 1, 65535);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        ProxySample proxy;
        try {
            proxy = new ProxySample(host, port, loops, targetHost, targetPort);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        InetSocketAddress bound = (InetSocketAddress) proxy.server.address();
        out.println("proxy listening on " + bound.getHostString() + ":" + bound.getPort() + " with " + loops
                + " loop(s), to " + targetHost + ":" + targetPort);
        out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::close, "proxy-shutdown"));
        proxy.group.terminationFuture().join();
        return 0;
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(1));
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }
}

package dev.loopflux.samples;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.core.Publishers;
import dev.loopflux.core.net.Connection;
import dev.loopflux.core.net.TcpOptions;
import dev.loopflux.core.net.TcpServer;
import dev.loopflux.core.net.TlsOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * TCP echo on the loop-core API, with nothing but Reactive Streams interfaces: each accepted
 * connection sends back what it receives, {@code connection.send(connection.inbound())}.
 *
 * <p>Backpressure does all the work: the send asks the inbound for one chunk at a time, and only
 * while its unwritten bytes are under the high-water mark; the inbound reads the socket only
 * when asked. A client that sends without reading is slowed by TCP, not buffered in the heap.
 */
final class CoreEcho implements AutoCloseable {
    private final LoopGroup group;
    private final TcpServer server;

    CoreEcho(String host, int port, int loops) throws IOException {
        this(host, port, loops, null);
    }

    /** With {@code tls} non-null, serves TLS (the handshake runs before the first byte is echoed). */
    CoreEcho(String host, int port, int loops, TlsOptions tls) throws IOException {
        group = LoopGroup.create(LoopOptions.builder().name("echo").loops(loops).build());
        try {
            server = TcpServer.bind(group, new InetSocketAddress(host, port), TcpOptions.builder().tls(tls).build());
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(1));
            throw e;
        }
        Publishers.consume(server.connections(), CoreEcho::echo).whenComplete((ok, error) -> {
            if (error != null) {
                System.getLogger("echo").log(System.Logger.Level.ERROR, "server failed", error);
            }
        });
    }

    TcpServer server() {
        return server;
    }

    /** Runs until the process is stopped (Ctrl-C), then shuts down cleanly. */
    static void run(String host, int port, int loops, TlsOptions tls, PrintStream out) throws Exception {
        CoreEcho echo = new CoreEcho(host, port, loops, tls);
        InetSocketAddress bound = (InetSocketAddress) echo.server.localAddress();
        out.println("echo (core API" + (tls == null ? "" : ", TLS") + ") listening on " + bound.getHostString() + ":"
                + bound.getPort() + " with " + loops + " loop(s)");
        out.flush();
        Thread stopper = new Thread(echo::close, "echo-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        echo.group.terminationFuture().join();
    }

    @Override
    public void close() {
        server.close(Duration.ofSeconds(1)).toCompletableFuture().join();
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    /**
     * Echoes on one connection. When the echo ends: the peer finished sending, so half-close our
     * side too (the peer then closes); or it failed, so close. Runs on the connection's loop.
     */
    private static void echo(Connection connection) {
        Publishers.consume(connection.send(connection.inbound()), nothing -> { }).whenComplete((ok, error) -> {
            if (error == null) {
                connection.shutdownOutput();
            } else {
                connection.close();
            }
        });
    }
}

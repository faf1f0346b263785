package dev.loopflux.samples;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.core.net.TlsOptions;
import dev.loopflux.reactor.DisposableServer;
import dev.loopflux.reactor.TcpServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * TCP echo with the Reactor API: the whole server is one handler,
 * {@code (in, out) -> out.send(in.receive())}, and every signal of it runs on the connection's
 * loop thread. Backpressure is end to end: {@code send} asks {@code receive} for more only while
 * the socket takes what it writes, and {@code receive} reads the socket only when asked.
 */
final class ReactorEcho implements AutoCloseable {
    private final LoopGroup group;
    private final DisposableServer server;

    ReactorEcho(String host, int port, int loops) {
        this(host, port, loops, null);
    }

    /** With {@code tls} non-null, serves TLS: {@code server.secure(tls)}, the handler unchanged. */
    ReactorEcho(String host, int port, int loops, TlsOptions tls) {
        group = LoopGroup.create(LoopOptions.builder().name("echo").loops(loops).build());
        try {
            TcpServer configured = TcpServer.create().host(host).port(port).runOn(group);
            server = (tls == null ? configured : configured.secure(tls))
                    .handle((in, out) -> out.send(in.receive()))
                    .bindNow();
        } catch (RuntimeException e) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(1));
            throw e;
        }
    }

    DisposableServer server() {
        return server;
    }

    /** Runs until the process is stopped (Ctrl-C), then shuts down cleanly. */
    static void run(String host, int port, int loops, TlsOptions tls, PrintStream out) {
        ReactorEcho echo = new ReactorEcho(host, port, loops, tls);
        InetSocketAddress bound = (InetSocketAddress) echo.server.address();
        out.println("echo (reactor API" + (tls == null ? "" : ", TLS") + ") listening on " + bound.getHostString() + ":"
                + bound.getPort() + " with " + loops + " loop(s)");
        out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(echo::close, "echo-shutdown"));
        echo.group.terminationFuture().join();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(1));
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }
}

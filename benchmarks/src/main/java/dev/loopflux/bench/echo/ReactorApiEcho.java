package dev.loopflux.bench.echo;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.core.net.TcpOptions;
import dev.loopflux.reactor.DisposableServer;
import dev.loopflux.reactor.TcpServer;
import java.time.Duration;

/**
 * The Loopflux Reactor API echo, one loop: {@code (in, out) -> out.send(in.receive())}; with TLS,
 * loop-core's {@code TlsOptions} given through {@code options(...)}. That handler is a pipe (no
 * user code sees the bytes, so none is copied); {@code reactor-map} is the same echo with a
 * {@code map} after {@code receive()}, where the handler sees every chunk, a copy of its own.
 */
final class ReactorApiEcho implements EchoServerMain.EchoServer {
    private final LoopGroup group = LoopGroup.create(LoopOptions.builder().name("reactor-echo").loops(1).build());
    private final DisposableServer server;

    /** {@code tls} null: plain TCP. */
    ReactorApiEcho(EchoTls tls) {
        this(tls, false);
    }

    /** {@code tls} null: plain TCP; {@code mapped}: {@code out.send(in.receive().map(b -> b))}. */
    ReactorApiEcho(EchoTls tls, boolean mapped) {
        // All options at once: options(UnaryOperator) copies the options it is given without TLS,
        // so a later .maxConnections(...) would drop it.
        TcpOptions options = TcpOptions.builder().maxConnections(100_000).tls(tls == null ? null : tls.loopfluxServer("reactor")).build();
        server = TcpServer.create()
                .runOn(group)
                .options(options)
                .handle(mapped ? (in, out) -> out.send(in.receive().map(b -> b)) : (in, out) -> out.send(in.receive()))
                .bindNow();
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.dispose();
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }
}

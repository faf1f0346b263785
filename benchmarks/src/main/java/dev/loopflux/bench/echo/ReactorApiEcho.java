package dev.loopflux.bench.echo;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.reactor.DisposableServer;
import dev.loopflux.reactor.TcpServer;
import java.time.Duration;

/** The Loopflux Reactor API echo, one loop: {@code (in, out) -> out.send(in.receive())}. */
final class ReactorApiEcho implements EchoServerMain.EchoServer {
    private final LoopGroup group = LoopGroup.create(LoopOptions.builder().name("reactor-echo").loops(1).build());
    private final DisposableServer server;

    ReactorApiEcho() {
        server = TcpServer.create()
                .runOn(group)
                .maxConnections(100_000)
                .handle((in, out) -> out.send(in.receive()))
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

package dev.loopflux.bench.echo;

import reactor.netty.DisposableServer;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.TcpServer;

/** Reactor Netty's TcpServer with the same handler, {@code out.send(in.receive().retain())}, on one NIO loop. */
final class ReactorNettyEcho implements EchoServerMain.EchoServer {
    private final LoopResources loops = LoopResources.create("rn-echo", 1, 1, true, false);
    private final DisposableServer server;

    ReactorNettyEcho() {
        server = TcpServer.create()
                .host("127.0.0.1")
                .port(0)
                .runOn(loops, false)
                .handle((in, out) -> out.send(in.receive().retain()))
                .bindNow();
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.disposeNow();
        loops.disposeLater().block();
    }
}

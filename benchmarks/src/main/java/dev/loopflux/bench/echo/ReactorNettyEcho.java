package dev.loopflux.bench.echo;

import io.netty.handler.ssl.SslContextBuilder;
import reactor.netty.DisposableServer;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.SslProvider;
import reactor.netty.tcp.TcpServer;
import reactor.netty.tcp.TcpSslContextSpec;

/**
 * Reactor Netty's TcpServer with the same handler, {@code out.send(in.receive().retain())}, on one
 * NIO loop. With TLS, {@code secure(spec -> spec.sslContext(TcpSslContextSpec.forServer(key, certificate)
 * .configure(...)))}, where the configuration ({@link EchoTls#configureNetty}) sets Netty's
 * {@code SslProvider.JDK} (Reactor Netty's default would be OpenSSL when netty-tcnative is present;
 * it is not on this classpath), TLS 1.3 and the one cipher suite.
 */
final class ReactorNettyEcho implements EchoServerMain.EchoServer {
    private final LoopResources loops = LoopResources.create("rn-echo", 1, 1, true, false);
    private final DisposableServer server;

    /** {@code tls} null: plain TCP. */
    ReactorNettyEcho(EchoTls tls) {
        TcpServer tcp = TcpServer.create()
                .host("127.0.0.1")
                .port(0)
                .runOn(loops, false);
        if (tls != null) {
            // Typed as the generic spec: sslContext(ProtocolSslContextSpec), the overload Java would pick, is deprecated.
            SslProvider.GenericSslContextSpec<SslContextBuilder> context =
                    TcpSslContextSpec.forServer(tls.key, tls.certificate).configure(EchoTls::configureNetty);
            tcp = tcp.secure(spec -> spec
                    .sslContext(context)
                    .handlerConfigurator(handler -> EchoTls.reportEngine("reactor-netty", handler.engine())));
        }
        server = tcp.handle((in, out) -> out.send(in.receive().retain())).bindNow();
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

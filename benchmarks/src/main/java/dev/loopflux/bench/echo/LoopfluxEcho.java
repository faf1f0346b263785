package dev.loopflux.bench.echo;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.core.net.Connection;
import dev.loopflux.core.net.TcpOptions;
import dev.loopflux.core.net.TcpServer;
import dev.loopflux.core.net.TlsOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The loop-core echo, one loop: {@code connection.send(connection.inbound())}; with TLS, the same
 * with {@code TcpOptions.builder().tls(TlsOptions.server(key, certificate)...)}.
 */
final class LoopfluxEcho implements EchoServerMain.EchoServer {
    private final LoopGroup group;
    private final Server server;

    /** {@code tls} null: plain TCP. */
    LoopfluxEcho(EchoTls tls) throws IOException {
        group = LoopGroup.create(LoopOptions.builder().name("loopflux-echo").loops(1).build());
        server = new Server(group, tls == null ? null : tls.loopfluxServer("loopflux"));
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    /** The echo server on any group, for this and other harnesses. */
    static final class Server implements AutoCloseable {
        private final TcpServer server;

        Server(LoopGroup group) throws IOException {
            this(group, null);
        }

        /** {@code tls} null: plain TCP. */
        Server(LoopGroup group, TlsOptions tls) throws IOException {
            server = TcpServer.bind(group, new InetSocketAddress("127.0.0.1", 0),
                    TcpOptions.builder().maxConnections(100_000).tls(tls).build());
            server.connections().subscribe(new AcceptAll());
        }

        int port() {
            return server.port();
        }

        @Override
        public void close() {
            server.close().toCompletableFuture().join();
        }
    }

    /** Echoes on every connection; closes it when the echo ends. */
    private static final class AcceptAll implements Subscriber<Connection> {
        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Connection c) {
            c.send(c.inbound()).subscribe(new Subscriber<>() {
                @Override
                public void onSubscribe(Subscription s) {
                    s.request(1);
                }

                @Override
                public void onNext(Void v) {
                }

                @Override
                public void onError(Throwable t) {
                    c.close();
                }

                @Override
                public void onComplete() {
                    c.close();
                }
            });
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }
}

package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.net.TcpOptions;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A TCP (or Unix domain socket) server with a Reactor handler per connection:
 *
 * <pre>{@code
 * DisposableServer server = TcpServer.create()
 *         .port(7007)
 *         .handle((in, out) -> out.send(in.receive()))
 *         .bindNow();
 * }</pre>
 *
 * <p>The handler is called on the connection's loop thread, and its pipeline is subscribed
 * there; every signal of it runs on that thread. When the publisher it returns completes or
 * fails, the connection is closed. Connections are accepted only as fast as handlers are set up,
 * and each connection reads only while its {@code receive()} has demand.
 *
 * <p>Immutable: each method returns a new configuration, so one may be shared and varied.
 */
public final class TcpServer {
    private static final Logger LOG = Loggers.getLogger(TcpServer.class);

    private final Endpoint where;
    private final TcpOptions options;
    private final BiFunction<? super TcpInbound, ? super TcpOutbound, ? extends Publisher<Void>> handler;

    private TcpServer(Endpoint where, TcpOptions options,
            BiFunction<? super TcpInbound, ? super TcpOutbound, ? extends Publisher<Void>> handler) {
        this.where = where;
        this.options = options;
        this.handler = handler;
    }

    /** A server on 127.0.0.1, an ephemeral port, the default loops and options, and a handler that only reads. */
    public static TcpServer create() {
        return new TcpServer(Endpoint.LOOPBACK, TcpOptions.defaults(), (in, out) -> in.receive().then());
    }

    /** The host to bind (a literal address or a name). Default {@code 127.0.0.1}: say {@code 0.0.0.0} to listen on every interface. */
    public TcpServer host(String host) {
        return new TcpServer(where.withHost(host), options, handler);
    }

    /** The port to bind; 0 (the default) picks a free one. */
    public TcpServer port(int port) {
        return new TcpServer(where.withPort(port), options, handler);
    }

    /** An explicit address, such as a {@link java.net.UnixDomainSocketAddress}; replaces host and port. */
    public TcpServer bindAddress(SocketAddress address) {
        return new TcpServer(where.withAddress(address), options, handler);
    }

    /** The loops to accept and serve on. Default: a shared group of one daemon loop per core. */
    public TcpServer runOn(LoopGroup group) {
        return new TcpServer(where.on(group), options, handler);
    }

    /** Accepts and serves on this one loop (a {@code TestLoop}, for tests on a manual clock). */
    public TcpServer runOn(Loop loop) {
        return new TcpServer(where.on(loop), options, handler);
    }

    /** All of loop-core's options at once (limits, idle timeouts, buffer sizes). */
    public TcpServer options(TcpOptions options) {
        return new TcpServer(where, Objects.requireNonNull(options, "options"), handler);
    }

    /** Adjusts the options: {@code server.options(o -> o.maxConnections(1000).idleTimeout(Duration.ofMinutes(1)))}. */
    public TcpServer options(UnaryOperator<TcpOptions.Builder> change) {
        return options(change.apply(copy(options)).build());
    }

    /** Closes a connection that has neither read nor written for {@code timeout}, with an {@link dev.loopflux.core.net.IdleTimeoutException}. */
    public TcpServer idleTimeout(Duration timeout) {
        return options(o -> o.idleTimeout(timeout));
    }

    /**
     * Serves TLS: {@code server.secure(TlsOptions.server(key, certificate).build())}. The handler
     * is called at accept; what it sends waits for the handshake, and {@code receive()} starts
     * after it. A handshake that fails is an error of {@code receive()} and of every send, and
     * the connection closes; {@link Connection#handshake()} tells when it is done.
     *
     * @throws IllegalArgumentException given a client's options
     */
    public TcpServer secure(dev.loopflux.core.net.TlsOptions tls) {
        if (!Objects.requireNonNull(tls, "tls").isServer()) {
            throw new IllegalArgumentException("a server needs server TLS options (TlsOptions.server(...)), not a client's");
        }
        return options(o -> o.tls(tls));
    }

    /** The most connections open at once; more are closed as soon as accepted. */
    public TcpServer maxConnections(int maxConnections) {
        return options(o -> o.maxConnections(maxConnections));
    }

    /** What each connection runs. Called on the connection's loop thread. */
    public TcpServer handle(BiFunction<? super TcpInbound, ? super TcpOutbound, ? extends Publisher<Void>> handler) {
        return new TcpServer(where, options, Objects.requireNonNull(handler, "handler"));
    }

    /**
     * Binds when subscribed. Binding is a short system call made on the subscribing thread; the
     * Mono emits the bound server or fails with a {@link java.net.BindException} naming the address.
     */
    public Mono<DisposableServer> bind() {
        return Mono.fromCallable(() -> {
            SocketAddress address = where.resolve();
            dev.loopflux.core.net.TcpServer server = where.loop() != null
                    ? dev.loopflux.core.net.TcpServer.bind(where.loop(), address, options)
                    : dev.loopflux.core.net.TcpServer.bind(where.groupOrDefault(), address, options);
            server.connections().subscribe(new Acceptor(handler));
            return new Bound(server);
        });
    }

    /** {@link #bind()} and wait for it (at most 30 s). Blocking: call it from {@code main} or a test, not from a loop. */
    public DisposableServer bindNow() {
        return bind().block(Duration.ofSeconds(30));
    }

    static TcpOptions.Builder copy(TcpOptions o) {
        return TcpOptions.builder().backlog(o.backlog()).reuseAddress(o.reuseAddress()).tcpNoDelay(o.tcpNoDelay())
                .sendBufferSize(o.sendBufferSize()).receiveBufferSize(o.receiveBufferSize())
                .maxConnections(o.maxConnections()).readBufferSize(o.readBufferSize())
                .maxReadsPerReadiness(o.maxReadsPerReadiness()).writeHighWaterMark(o.writeHighWaterMark())
                .readIdleTimeout(o.readIdleTimeout()).writeIdleTimeout(o.writeIdleTimeout())
                .idleTimeout(o.idleTimeout()).connectTimeout(o.connectTimeout()).tls(o.tls());
    }

    /** Takes every accepted connection and runs the handler for it on its loop. */
    private static final class Acceptor implements CoreSubscriber<dev.loopflux.core.net.Connection> {
        private final BiFunction<? super TcpInbound, ? super TcpOutbound, ? extends Publisher<Void>> handler;

        Acceptor(BiFunction<? super TcpInbound, ? super TcpOutbound, ? extends Publisher<Void>> handler) {
            this.handler = handler;
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(dev.loopflux.core.net.Connection accepted) {
            ReactorConnection connection = new ReactorConnection(accepted);
            if (accepted.loop().inLoop()) {
                serve(connection);
            } else {
                accepted.loop().execute(() -> serve(connection));
            }
        }

        private void serve(ReactorConnection connection) {
            Publisher<Void> result;
            try {
                result = Objects.requireNonNull(handler.apply(connection, connection), "the handler returned null");
            } catch (Throwable error) {
                LOG.warn("Handler failed for " + connection, error);
                connection.dispose();
                return;
            }
            result.subscribe(new HandlerEnd(connection));
        }

        @Override
        public void onError(Throwable error) {
            if (error instanceof dev.loopflux.core.LoopShutdownException) {
                LOG.debug("Server stopped accepting: its loop shut down");
            } else {
                LOG.error("Server stopped accepting", error);
            }
        }

        @Override
        public void onComplete() {
        }
    }

    /** Closes the connection when the handler's publisher ends, however it ends; one object per connection. */
    private static final class HandlerEnd implements CoreSubscriber<Void> {
        private final ReactorConnection connection;

        HandlerEnd(ReactorConnection connection) {
            this.connection = connection;
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Void ignored) {
        }

        @Override
        public void onError(Throwable error) {
            LOG.debug("Handler of " + connection + " ended with an error", error);
            connection.dispose();
        }

        @Override
        public void onComplete() {
            connection.dispose();
        }
    }

    /** The bound server, as Reactor users see it. */
    private static final class Bound implements DisposableServer {
        private final dev.loopflux.core.net.TcpServer server;

        Bound(dev.loopflux.core.net.TcpServer server) {
            this.server = server;
        }

        @Override
        public SocketAddress address() {
            return server.localAddress();
        }

        @Override
        public int port() {
            return server.port();
        }

        @Override
        public Mono<Void> onDispose() {
            return Mono.fromCompletionStage(server::onClose);
        }

        @Override
        public Mono<Void> disposeGracefully(Duration timeout) {
            return Mono.fromCompletionStage(() -> server.close(timeout));
        }

        @Override
        public void dispose() {
            server.close();
        }

        @Override
        public boolean isDisposed() {
            return !server.isListening();
        }

        @Override
        public String toString() {
            return "DisposableServer[" + server + "]";
        }
    }
}

package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import java.net.SocketAddress;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A connection as Reactor users see it: {@link #inbound()} to receive, {@link #outbound()} to
 * send, {@link #dispose()} to close. It lives on one loop; every signal of its inbound and
 * outbound publishers is delivered on that loop's thread.
 *
 * <p>Threading: every method is safe from any thread.
 */
public interface Connection extends Disposable {

    /** What the peer sends. */
    TcpInbound inbound();

    /** Where to send. */
    TcpOutbound outbound();

    /** The loop that owns this connection. */
    Loop loop();

    /**
     * The connection's loop as a Scheduler, for operators that take one: work scheduled on it
     * runs on the connection's own thread, with no hop and no lock.
     */
    Scheduler scheduler();

    SocketAddress localAddress();

    SocketAddress remoteAddress();

    /** Completes (on the loop) once the connection is closed. */
    Mono<Void> onDispose();

    /**
     * Emits the TLS session once the handshake is done (on the loop), or fails with the
     * {@link dev.loopflux.core.net.TlsHandshakeException} that closed the connection; on a plain
     * connection it completes empty. A server's handler is called at accept, before the
     * handshake: one that routes by {@link #applicationProtocol()} starts from here.
     */
    Mono<javax.net.ssl.SSLSession> handshake();

    /** The TLS session once the handshake is done; null on a plain connection or before. */
    javax.net.ssl.SSLSession tlsSession();

    /** The protocol ALPN agreed on, or null (plain, no ALPN, or handshake not done). */
    String applicationProtocol();
}

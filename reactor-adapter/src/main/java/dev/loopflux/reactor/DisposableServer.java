package dev.loopflux.reactor;

import java.net.SocketAddress;
import java.time.Duration;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A bound server. {@link #dispose()} stops accepting and closes the listening socket; open
 * connections go on until their handlers finish. Thread-safe.
 */
public interface DisposableServer extends Disposable {

    /** The bound address (with the real port when bound to port 0). */
    SocketAddress address();

    /** The bound TCP port. */
    int port();

    /** Completes once the listening socket is closed. */
    Mono<Void> onDispose();

    /**
     * Stops accepting, shuts down the output of every open connection after what it is sending,
     * and closes any still open after {@code timeout}. Completes when all are closed.
     */
    Mono<Void> disposeGracefully(Duration timeout);

    /**
     * {@link #disposeGracefully(Duration)} and wait for it. Blocking: never call it on a loop thread.
     *
     * @throws IllegalStateException if not done within {@code timeout} plus one second
     */
    default void disposeNow(Duration timeout) {
        disposeGracefully(timeout).block(timeout.plusSeconds(1));
    }
}

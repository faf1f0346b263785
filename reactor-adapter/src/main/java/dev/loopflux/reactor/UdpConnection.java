package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.net.Datagram;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A bound UDP socket as Reactor users see it: {@link #receive()} datagrams, {@link #send} them,
 * {@link #dispose()} to close. It lives on one loop; every signal of its publishers is delivered
 * on that loop's thread. The contract (demand drives reading, the kernel drops when nobody asks,
 * errors per datagram) is {@link dev.loopflux.core.net.UdpEndpoint}'s.
 *
 * <pre>{@code
 * UdpConnection echo = Udp.create().port(9999).bind().block();
 * echo.send(echo.receive()).onErrorComplete().subscribe();   // each datagram back to its sender, until disposed
 * }</pre>
 *
 * <p>Threading: every method is safe from any thread.
 */
public interface UdpConnection extends Disposable {

    /**
     * The datagrams received, each with its sender, read only while there is demand. One
     * subscriber at a time; after a cancel or an error another may subscribe. Disposing completes
     * it.
     */
    Flux<Datagram> receive();

    /**
     * Sends {@code datagrams} in order when subscribed; completes once all were handed to the
     * kernel. A datagram over the size limit fails it with
     * {@link dev.loopflux.core.net.DatagramTooLargeException}; disposing the socket fails a send
     * not yet complete with {@link dev.loopflux.core.net.ConnectionClosedException}.
     */
    Mono<Void> send(Publisher<? extends Datagram> datagrams);

    /** Connects to a single peer when subscribed (see {@link dev.loopflux.core.net.UdpEndpoint#connect}). */
    Mono<Void> connect(InetSocketAddress peer);

    /** Joins a multicast group on an interface when subscribed. */
    Mono<Void> joinGroup(InetAddress group, NetworkInterface nif);

    /** Leaves a multicast group when subscribed. */
    Mono<Void> leaveGroup(InetAddress group, NetworkInterface nif);

    /** The loop that owns this socket. */
    Loop loop();

    /** The socket's loop as a Scheduler: work scheduled on it runs on the socket's own thread. */
    Scheduler scheduler();

    InetSocketAddress localAddress();

    /** The connected peer, or null. */
    InetSocketAddress remoteAddress();

    /** Completes (on the loop) once the socket is closed and its port released. */
    Mono<Void> onDispose();
}

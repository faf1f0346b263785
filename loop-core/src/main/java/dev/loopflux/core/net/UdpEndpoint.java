package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.PortUnreachableException;
import java.util.concurrent.CompletionStage;
import org.reactivestreams.Publisher;

/**
 * A bound UDP socket (IPv4 or IPv6) pinned to one {@link Loop} for its whole life: received
 * datagrams are a {@link Publisher}, and sending subscribes to one.
 *
 * <pre>{@code
 * UdpEndpoint echo = UdpEndpoint.bind(loop, new InetSocketAddress("127.0.0.1", 9999), UdpOptions.defaults());
 * echo.send(echo.receive()).subscribe(...);   // each datagram goes back to its sender
 * }</pre>
 *
 * <h2>Threading</h2>
 * Every method may be called from any thread; off the loop, actions hop onto it. Every signal of
 * {@link #receive()} and of the publishers returned by {@link #send}, and the completion of every
 * returned {@link CompletionStage}, happens on {@link #loop()}'s thread. {@code request} and
 * {@code cancel} may come from any thread.
 *
 * <h2>Backpressure</h2>
 * The socket is read only while {@link #receive()} has demand, at most
 * {@link UdpOptions#maxReadsPerReadiness()} datagrams per readiness event. With no demand,
 * datagrams wait in the kernel's receive buffer ({@link UdpOptions#receiveBufferSize()}), and once
 * it is full the kernel drops new ones, as UDP does: nothing piles up in the heap. A sender is asked
 * for more datagrams only while fewer than {@link UdpOptions#sendHighWaterMark()} wait to be taken
 * by the kernel; {@code OP_WRITE} is wanted only while one waits.
 *
 * <h2>Errors</h2>
 * Binding a port in use throws {@link BindException} naming the address. A datagram over
 * {@link UdpOptions#maxDatagramSize()} fails its send with {@link DatagramTooLargeException}. On a
 * connected endpoint, an ICMP port unreachable from the peer surfaces on the next read or write
 * as {@link PortUnreachableException} naming the peer, given to the receive subscriber or to the
 * send it concerns. None of these closes the endpoint: UDP errors are per datagram.
 */
public interface UdpEndpoint {

    /**
     * Opens a UDP socket bound to {@code local} (port 0: any free port; an IPv6 address makes an
     * IPv6 socket) and hands it to {@code loop}. Does not wait for the loop: the socket is
     * registered by a task queued now, before anything asked of the endpoint later.
     *
     * <p>Any thread.
     *
     * @throws BindException naming the address, if it cannot be bound (in use, not local)
     * @throws IOException if the socket cannot be opened or configured, or the loop is shut down
     */
    static UdpEndpoint bind(Loop loop, InetSocketAddress local, UdpOptions options) throws IOException {
        return UdpSocket.bind(loop, local, options);
    }

    /**
     * Connects to {@code peer}: from then on only its datagrams are received, datagrams without an
     * address go to it, and ICMP errors from it are reported (see {@link PortUnreachableException}).
     * No packet is exchanged. Datagrams from others already in the receive buffer are discarded.
     *
     * @return completes on the loop thread once connected, or exceptionally with an
     *     {@link IOException} naming both addresses
     */
    CompletionStage<Void> connect(InetSocketAddress peer);

    /**
     * The datagrams received, in the order the kernel hands them out, each with its sender. One
     * subscriber at a time (another one meanwhile gets {@code onError(IllegalStateException)});
     * after a cancel or an error, another may subscribe. Cancelling stops reading; it does not
     * close the endpoint.
     *
     * <p>{@link #close()} completes the subscriber ({@code onComplete}); a subscriber that comes
     * after the close gets {@code onError(}{@link ConnectionClosedException}{@code )}. A read
     * error, such as {@link PortUnreachableException} on a connected endpoint, is {@code onError}
     * and the endpoint stays open. The loop shutting down is {@code onError} with its cause.
     */
    Publisher<Datagram> receive();

    /**
     * Sends {@code datagrams} in order, after those of every send subscribed before. Nothing
     * happens until the returned publisher is subscribed; it emits no element and completes once
     * every datagram was handed to the kernel (which may still drop it: UDP does not say), or
     * errors: a datagram too large ({@link DatagramTooLargeException}), without a recipient on an
     * endpoint that is not connected, or for another address than the connected peer
     * ({@link IllegalArgumentException}); the kernel refusing one (an {@link IOException} naming
     * the recipient); the endpoint closed; {@code datagrams} failing. On error no more datagrams
     * are requested from that send; those it gave before are still sent, except after a datagram
     * the kernel refused, which drops that send's datagrams still queued. The endpoint stays open
     * and later sends go on. Cancelling stops requesting; datagrams already taken are still sent.
     *
     * <p>An empty datagram is sent as one, but whether the kernel took it cannot be told from a
     * full send buffer (both read as 0 bytes sent): it counts as sent.
     */
    Publisher<Void> send(Publisher<Datagram> datagrams);

    /**
     * Joins the multicast {@code group} on interface {@code nif}: datagrams sent to the group (on
     * this endpoint's port) are received. Joining a group already joined on that interface is a
     * no-op.
     *
     * @return completes on the loop thread, or exceptionally with an {@link IOException} naming
     *     the group and interface (not a multicast address, not supported by the interface or the
     *     system)
     */
    CompletionStage<Void> joinGroup(InetAddress group, NetworkInterface nif);

    /** Leaves a group joined with {@link #joinGroup}; leaving one not joined is a no-op. */
    CompletionStage<Void> leaveGroup(InetAddress group, NetworkInterface nif);

    /**
     * Closes now: datagrams not yet sent are dropped, pending sends get
     * {@link ConnectionClosedException}, the receive subscriber {@code onComplete}, and
     * {@link #onClose()} completes once the port is released. Idempotent.
     */
    void close();

    /**
     * Completes (on the loop thread) once the endpoint is closed, for whatever reason, and its
     * port and descriptor are released (the loop's selector has dropped the channel).
     */
    CompletionStage<Void> onClose();

    /** True until the endpoint is closed. */
    boolean isOpen();

    /** The loop that owns this endpoint. */
    Loop loop();

    /** The bound address, with the actual port when bound to port 0. */
    InetSocketAddress localAddress();

    /** The connected peer, or null when not connected. */
    InetSocketAddress remoteAddress();

    /**
     * Received datagrams dropped because they were longer than
     * {@link UdpOptions#maxDatagramSize()} (a peer must not be able to end a receiver's stream).
     * Datagrams the kernel dropped are not counted: it does not say.
     */
    long oversizeDropped();
}

package dev.loopflux.core.net;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;

/**
 * One {@link UdpEndpoint#send}: the subscriber to the user's datagrams, and the subscription of
 * the user's completion subscriber; see {@link UpstreamSend}. {@link SendOperation} is the same
 * for stream connections.
 *
 * <p>Threading: fields on the loop thread only.
 */
final class UdpSend extends UpstreamSend<Datagram> {
    private final UdpOutbound outbound;
    private final Publisher<Datagram> data;

    UdpSend(UdpOutbound outbound, Publisher<Datagram> data, Subscriber<? super Void> downstream) {
        super(outbound.socket.loop, downstream);
        this.outbound = outbound;
        this.data = data;
    }

    /** Loop thread: this send's turn has come. */
    void start() {
        subscribeTo(data);
    }

    @Override
    void subscribed() {
        outbound.requestMore(this);
    }

    @Override
    void upstreamNext(Datagram datagram) {
        outbound.onUpstreamNext(this, datagram);
    }

    @Override
    void upstreamComplete() {
        outbound.onUpstreamComplete(this);
    }

    @Override
    void upstreamError(Throwable error) {
        outbound.onUpstreamError(this, error);
    }

    @Override
    void cancelled() {
        outbound.cancelled(this);
    }
}

package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.net.Datagram;
import dev.loopflux.core.net.UdpEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The Reactor face of a loop-core {@link UdpEndpoint}: its publishers wrapped as Flux and Mono,
 * nothing buffered or re-dispatched here.
 */
final class ReactorUdpConnection implements UdpConnection {
    private final UdpEndpoint endpoint;
    private final Scheduler scheduler;

    ReactorUdpConnection(UdpEndpoint endpoint) {
        this.endpoint = endpoint;
        this.scheduler = LoopSchedulers.from(endpoint.loop());
    }

    @Override
    public Flux<Datagram> receive() {
        return Flux.from(endpoint.receive());
    }

    @Override
    @SuppressWarnings("unchecked")
    public Mono<Void> send(Publisher<? extends Datagram> datagrams) {
        return Mono.from(endpoint.send((Publisher<Datagram>) datagrams));
    }

    @Override
    public Mono<Void> connect(InetSocketAddress peer) {
        return Mono.fromCompletionStage(() -> endpoint.connect(peer));
    }

    @Override
    public Mono<Void> joinGroup(InetAddress group, NetworkInterface nif) {
        return Mono.fromCompletionStage(() -> endpoint.joinGroup(group, nif));
    }

    @Override
    public Mono<Void> leaveGroup(InetAddress group, NetworkInterface nif) {
        return Mono.fromCompletionStage(() -> endpoint.leaveGroup(group, nif));
    }

    @Override
    public Loop loop() {
        return endpoint.loop();
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public InetSocketAddress localAddress() {
        return endpoint.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return endpoint.remoteAddress();
    }

    @Override
    public Mono<Void> onDispose() {
        return Mono.fromCompletionStage(endpoint.onClose());
    }

    @Override
    public void dispose() {
        endpoint.close();
    }

    @Override
    public boolean isDisposed() {
        return !endpoint.isOpen();
    }

    @Override
    public String toString() {
        return endpoint.toString();
    }
}

package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.net.Framing;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.reactivestreams.Publisher;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The Reactor face of a loop-core {@link dev.loopflux.core.net.Connection}: the same object,
 * its publishers wrapped as Flux and Mono. Nothing is buffered or re-dispatched here: signals
 * come straight from the loop.
 */
final class ReactorConnection implements Connection, TcpInbound, TcpOutbound {
    private static final int DEFAULT_MAX_LINE = 8192;
    /** The class of {@code Flux.from(p)} for a plain publisher {@code p}, with no assembly hook: what {@link #receive()} returns. */
    private static final String PLAIN_SOURCE = "reactor.core.publisher.FluxSource";
    /** The class of loop-core's {@code Connection.inbound()}. */
    private static final String LOOP_CORE_INBOUND = "dev.loopflux.core.net.Inbound";

    private static final VarHandle SCHEDULER;

    static {
        try {
            SCHEDULER = MethodHandles.lookup().findVarHandle(ReactorConnection.class, "scheduler", Scheduler.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final dev.loopflux.core.net.Connection connection;
    /** Made on first use (most handlers never ask), then always the same one. */
    private volatile Scheduler scheduler;

    ReactorConnection(dev.loopflux.core.net.Connection connection) {
        this.connection = connection;
    }

    @Override
    public TcpInbound inbound() {
        return this;
    }

    @Override
    public TcpOutbound outbound() {
        return this;
    }

    @Override
    public Loop loop() {
        return connection.loop();
    }

    @Override
    public Scheduler scheduler() {
        Scheduler s = scheduler;
        if (s == null) {
            Scheduler made = LoopSchedulers.from(connection.loop());
            s = SCHEDULER.compareAndSet(this, null, made) ? made : scheduler;
        }
        return s;
    }

    @Override
    public SocketAddress localAddress() {
        return connection.localAddress();
    }

    @Override
    public SocketAddress remoteAddress() {
        return connection.remoteAddress();
    }

    @Override
    public Connection connection() {
        return this;
    }

    @Override
    public Mono<javax.net.ssl.SSLSession> handshake() {
        return Mono.fromCompletionStage(connection::handshake);
    }

    @Override
    public javax.net.ssl.SSLSession tlsSession() {
        return connection.tlsSession();
    }

    @Override
    public String applicationProtocol() {
        return connection.applicationProtocol();
    }

    @Override
    public Mono<Void> onDispose() {
        return Mono.fromCompletionStage(connection.onClose());
    }

    @Override
    public void dispose() {
        connection.close();
    }

    @Override
    public boolean isDisposed() {
        return !connection.isOpen();
    }

    // ---- inbound -------------------------------------------------------------------------

    @Override
    public Flux<ByteBuffer> receive() {
        return Flux.from(connection.inbound());
    }

    @Override
    public Flux<String> receiveLines() {
        return receiveLines(DEFAULT_MAX_LINE);
    }

    @Override
    public Flux<String> receiveLines(int maxLineLength) {
        return Flux.from(Framing.lines(connection, maxLineLength))
                .map(line -> StandardCharsets.UTF_8.decode(line).toString());
    }

    @Override
    public Flux<ByteBuffer> receiveFrames(int fieldLength, int maxFrameLength) {
        return Flux.from(Framing.lengthPrefixed(connection, fieldLength, maxFrameLength));
    }

    // ---- outbound ------------------------------------------------------------------------

    @Override
    @SuppressWarnings("unchecked")
    public Mono<Void> send(Publisher<? extends ByteBuffer> data) {
        // (Mono.fromDirect: the completion publisher has no item to cut off after the first)
        return Mono.fromDirect(connection.send(unwrapInbound((Publisher<ByteBuffer>) data)));
    }

    /**
     * {@code receive()} of a connection exactly as it came (no operator after it, no assembly hook
     * around it, no {@code Hooks.onLastOperator} to apply at subscribe) is sent as that
     * connection's inbound publisher itself: loop-core then writes what it reads straight from the
     * loop's read buffer when both connections are on one loop (an echo, a proxy), with no copy,
     * since no user code sees those bytes. Anything else is subscribed as it is.
     */
    @SuppressWarnings("unchecked")
    private static Publisher<ByteBuffer> unwrapInbound(Publisher<ByteBuffer> data) {
        if (data instanceof Flux<ByteBuffer> flux && flux.getClass().getName().equals(PLAIN_SOURCE)
                && flux instanceof Scannable source // (scan() would hide a parent that is not Scannable)
                && source.scanUnsafe(Scannable.Attr.PARENT) instanceof Publisher<?> parent
                && parent.getClass().getName().equals(LOOP_CORE_INBOUND)
                && reactor.core.publisher.Operators.onLastAssembly(flux) == flux) {
            return (Publisher<ByteBuffer>) parent;
        }
        return data;
    }

    @Override
    public Mono<Void> sendString(Publisher<? extends String> data) {
        return send(Flux.from(data).map(s -> ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8))));
    }

    @Override
    public Mono<Void> sendFrames(Publisher<? extends ByteBuffer> frames, int fieldLength) {
        return send(Flux.from(frames).map(frame -> Framing.encodeLengthPrefixed(frame, fieldLength)));
    }

    @Override
    public Mono<Void> sendFile(java.nio.file.Path path, long position, long count) {
        return Mono.fromDirect(connection.sendFile(path, position, count));
    }

    @Override
    public void shutdownOutput() {
        connection.shutdownOutput();
    }

    @Override
    public String toString() {
        return connection.toString();
    }
}

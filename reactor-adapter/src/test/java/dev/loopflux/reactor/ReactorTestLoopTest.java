package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.TestLoop;
import dev.loopflux.core.net.ReadIdleTimeoutException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * Handlers tested with StepVerifier on a TestLoop: real sockets and real IO (pumped by
 * {@code runUntil} until an observable condition), and a manual clock for the time-dependent
 * parts (idle timeouts, intervals), so nothing waits for real time to pass.
 */
@Timeout(30)
class ReactorTestLoopTest {
    private static final Duration IO = Duration.ofSeconds(10);
    private TestLoop loop;
    private final AtomicInteger served = new AtomicInteger();

    @BeforeEach
    void loop() {
        loop = TestLoop.create();
    }

    @AfterEach
    void close() {
        loop.close();
    }

    /** Connects, and drives the loop until the server has called its handler for the connection. */
    private Connection connectTo(DisposableServer server) {
        AtomicReference<Connection> got = new AtomicReference<>();
        TcpClient.create().port(server.port()).runOn(loop).connect().subscribe(got::set);
        assertThat(loop.runUntil(() -> got.get() != null && served.get() > 0, IO)).isTrue();
        return got.get();
    }

    @Test
    void anIdleTimeoutFiresAtItsManualTimeAndNotBefore() {
        DisposableServer server = TcpServer.create().port(0).runOn(loop)
                .idleTimeout(Duration.ofSeconds(30))
                .handle((in, out) -> {
                    served.incrementAndGet();
                    return in.receive().then();
                })
                .bindNow();
        Connection client = connectTo(server);
        AtomicBoolean ended = new AtomicBoolean();
        StepVerifier.create(client.inbound().receive().doOnComplete(() -> ended.set(true)))
                .then(() -> loop.advanceTimeBy(Duration.ofSeconds(29)))
                .then(() -> assertThat(loop.runUntil(ended::get, Duration.ofMillis(100))).isFalse())
                .then(() -> loop.advanceTimeBy(Duration.ofSeconds(1)))   // the server closes now
                .then(() -> assertThat(loop.runUntil(ended::get, IO)).isTrue())
                .verifyComplete();                                      // the client reads end of stream
        server.dispose();
    }

    @Test
    void anIntervalInAHandlerRunsOnTheManualClock() {
        DisposableServer server = TcpServer.create().port(0).runOn(loop)
                .handle((in, out) -> {
                    served.incrementAndGet();
                    Connection self = (Connection) in;
                    return out.sendString(Flux.interval(Duration.ofSeconds(1), self.scheduler()).take(3).map(i -> "tick " + i + "\n"));
                })
                .bindNow();
        Connection client = connectTo(server);
        AtomicInteger lines = new AtomicInteger();
        AtomicBoolean ended = new AtomicBoolean();
        StepVerifier.create(client.inbound().receiveLines()
                        .doOnNext(l -> lines.incrementAndGet())
                        .doOnComplete(() -> ended.set(true)))
                .then(() -> assertThat(loop.runUntil(() -> lines.get() > 0, Duration.ofMillis(100))).isFalse())
                .then(() -> {
                    loop.advanceTimeBy(Duration.ofSeconds(3));               // three ticks, then the handler ends
                    assertThat(loop.runUntil(ended::get, IO)).isTrue();     // and the server closes
                })
                .expectNext("tick 0", "tick 1", "tick 2")
                .verifyComplete();
        server.dispose();
    }

    @Test
    void theIdleTimeoutErrorNamesThePeer() {
        AtomicReference<Throwable> error = new AtomicReference<>();
        DisposableServer server = TcpServer.create().port(0).runOn(loop)
                .options(o -> o.readIdleTimeout(Duration.ofSeconds(5)))
                .handle((in, out) -> {
                    served.incrementAndGet();
                    return in.receive().doOnError(error::set).then();
                })
                .bindNow();
        Connection client = connectTo(server);
        loop.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(loop.runUntil(() -> error.get() != null, IO)).isTrue();
        assertThat(error.get()).isInstanceOf(ReadIdleTimeoutException.class)
                .hasMessageContaining("127.0.0.1:" + ((InetSocketAddress) client.localAddress()).getPort());
        server.dispose();
    }
}

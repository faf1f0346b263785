package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopOptions;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a {@link UdpEndpoint} reads per readiness event, on real sockets on {@code 127.0.0.1}: a
 * peer with one datagram in flight does not cost an empty receive per datagram, and a burst that
 * follows is read in batches again. The sender is a plain blocking channel on the test thread, so
 * the receiving endpoint is the only channel on the loop.
 */
@Timeout(60)
class DatagramReadTest {
    private Loop loop;
    private UdpSocket receiver;
    private DatagramChannel sender;
    private final ConcurrentLinkedQueue<Throwable> loopErrors = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() throws Exception {
        loop = Loop.create(LoopOptions.builder().name("udp-read-test").errorHandler((l, e) -> loopErrors.add(e)).build());
        // Room for the whole burst below whatever the system's default (the kernel caps it at its maximum).
        UdpOptions options = UdpOptions.builder().receiveBufferSize(1 << 20).build();
        receiver = (UdpSocket) UdpEndpoint.bind(loop, new InetSocketAddress("127.0.0.1", 0), options);
        sender = DatagramChannel.open();
        sender.connect(receiver.localAddress());
    }

    @AfterEach
    void stop() throws Exception {
        sender.close();
        receiver.close();
        await(receiver.onClose());
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(loopErrors).as("nothing thrown on the loop").isEmpty();
    }

    private void send(String text) throws Exception {
        sender.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    private <T> T onLoop(Supplier<T> read) throws Exception {
        return CompletableFuture.supplyAsync(read, loop).get(10, TimeUnit.SECONDS);
    }

    /**
     * Sends {@code count} datagrams one at a time, each once the readiness event that delivered
     * the one before is over: every event finds a datagram alone.
     */
    private List<String> pingPong(Recorder<Datagram> in, int count) throws Exception {
        List<String> sent = new ArrayList<>();
        int before = in.count();
        for (int i = 0; i < count; i++) {
            String text = "lone " + i;
            sent.add(text);
            send(text);
            in.awaitCount(before + i + 1);
            Net.passSelect(loop);
        }
        return sent;
    }

    @Test
    void oneDatagramInFlightCostsAnEmptyReceiveOncePerEightDatagramsNotOncePerDatagram() throws Exception {
        Recorder<Datagram> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        receiver.receive().subscribe(in);
        in.subscription();
        int datagrams = 200;

        List<String> sent = pingPong(in, datagrams);

        assertThat(in.items()).extracting(d -> RecordingSubscriber.text(d.content())).containsExactlyElementsOf(sent);
        long empty = onLoop(() -> receiver.receive.emptyReceives);
        int period = UdpReceive.SINGLE_READS_AFTER_A_LONE_DATAGRAM + 1;
        // Each datagram came alone; reading on after every one would have found nothing each time.
        assertThat(empty).as("empty receives for %d lone datagrams", datagrams).isEqualTo(datagrams / period);
        assertThat(in.offLoopSignal).isNull();
    }

    @Test
    void aBurstAfterLoneDatagramsIsReadInBatchesAgainWithinEightReadinessEvents() throws Exception {
        Recorder<Datagram> lone = Recorder.onLoop(loop, Long.MAX_VALUE);
        receiver.receive().subscribe(lone);
        lone.subscription();
        // One lone datagram, read on until empty; seven read one by one; then one more read on
        // until empty: the next readiness events read one datagram each.
        pingPong(lone, UdpReceive.SINGLE_READS_AFTER_A_LONE_DATAGRAM + 2);
        assertThat(onLoop(() -> receiver.receive.emptyReceives)).isEqualTo(2);
        lone.cancel(); // no demand: the burst waits in the kernel's buffer, whole
        Net.passSelect(loop);

        int burst = 96;
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            sent.add("burst " + i);
            send("burst " + i);
        }
        Recorder<Datagram> in = Recorder.onLoop(loop, 0);
        receiver.receive().subscribe(in);
        in.subscription();
        long keysBefore = loop.metrics().keysDispatched();
        in.request(Long.MAX_VALUE);
        in.awaitCount(burst);
        long events = loop.metrics().keysDispatched() - keysBefore;

        assertThat(in.items()).extracting(d -> RecordingSubscriber.text(d.content())).containsExactlyElementsOf(sent);
        int singles = UdpReceive.SINGLE_READS_AFTER_A_LONE_DATAGRAM;
        int perBatch = receiver.options.maxReadsPerReadiness();
        int batches = (burst - singles + perBatch - 1) / perBatch;
        // One datagram per readiness event for good would take 96; a few events more than the
        // least allow for datagrams the kernel queued a moment late.
        assertThat(events).as("readiness events for a burst of %d", burst).isLessThanOrEqualTo(singles + batches + 8);
        assertThat(in.offLoopSignal).isNull();
    }
}

package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopOptions;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;

/**
 * The {@link UdpEndpoint} contract on real sockets on {@code 127.0.0.1} (and {@code ::1} where
 * there is one): round trips, demand-driven reading under a blasting sender, connected mode and
 * ICMP port unreachable, size limits, bind errors, descriptors released, signals on the loop.
 */
@Timeout(60)
class DatagramEndpointTest {
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 0);

    private Loop loop;
    private final ConcurrentLinkedQueue<Throwable> loopErrors = new ConcurrentLinkedQueue<>();
    private final List<UdpEndpoint> endpoints = new ArrayList<>();
    private final List<Recorder<?>> recorders = new ArrayList<>();
    private ExecutorService senders;

    @BeforeEach
    void start() {
        loop = Loop.create(LoopOptions.builder().name("udp-test").errorHandler((l, e) -> loopErrors.add(e)).build());
        senders = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stop() throws Exception {
        senders.shutdownNow();
        for (UdpEndpoint e : endpoints) {
            e.close();
            await(e.onClose());
        }
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        for (Recorder<?> r : recorders) {
            assertThat(r.offLoopSignal).as("every signal on the loop thread").isNull();
            assertThat(r.afterTerminal).as("no signal after the terminal one").isNull();
        }
        assertThat(loopErrors).as("nothing thrown on the loop").isEmpty();
    }

    private UdpEndpoint bind(InetSocketAddress address, UdpOptions options) throws IOException {
        UdpEndpoint e = UdpEndpoint.bind(loop, address, options);
        endpoints.add(e);
        return e;
    }

    private UdpEndpoint bind() throws IOException {
        return bind(LOCAL, UdpOptions.defaults());
    }

    /** A recorder that notes any signal off the loop; checked after each test. */
    private <T> Recorder<T> recorder(long initialRequest) {
        Recorder<T> r = Recorder.onLoop(loop, initialRequest);
        recorders.add(r);
        return r;
    }

    private <T> Recorder<T> subscribe(Publisher<T> publisher, long initialRequest) {
        Recorder<T> r = recorder(initialRequest);
        publisher.subscribe(r);
        return r;
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(Datagram d) {
        return RecordingSubscriber.text(d.content());
    }

    private static Publisher<Datagram> texts(InetSocketAddress to, String... texts) {
        Datagram[] datagrams = new Datagram[texts.length];
        for (int i = 0; i < texts.length; i++) {
            datagrams[i] = new Datagram(bytes(texts[i]), to);
        }
        return Probe.publisherOf(datagrams);
    }

    /** A port on 127.0.0.1 with no socket on it: bound a moment, then closed. */
    private static InetSocketAddress closedPort() throws IOException {
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET)) {
            probe.bind(LOCAL);
            return (InetSocketAddress) probe.getLocalAddress();
        }
    }

    // ---- round trips ---------------------------------------------------------------------------

    @Test
    void datagramsMakeARoundTripThroughAnEchoAndKeepTheirSenders() throws Exception {
        roundTrip(LOCAL);
    }

    @Test
    void datagramsMakeARoundTripOverIpv6() throws Exception {
        InetAddress loopback = InetAddress.getByName("::1");
        boolean available;
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            probe.bind(new InetSocketAddress(loopback, 0));
            available = true;
        } catch (IOException | UnsupportedOperationException e) {
            available = false;
        }
        Assumptions.assumeTrue(available, "no IPv6 loopback (::1) on this machine");
        UdpEndpoint echo = roundTrip(new InetSocketAddress(loopback, 0));
        assertThat(echo.localAddress().getAddress()).isInstanceOf(Inet6Address.class);
    }

    /** {@code echo.send(echo.receive())}: each datagram goes back to where it came from. */
    private UdpEndpoint roundTrip(InetSocketAddress bindAddress) throws Exception {
        UdpEndpoint echo = bind(bindAddress, UdpOptions.defaults());
        UdpEndpoint client = bind(bindAddress, UdpOptions.defaults());
        Recorder<Void> echoing = subscribe(echo.send(echo.receive()), 1);
        Recorder<Datagram> replies = subscribe(client.receive(), Long.MAX_VALUE);
        replies.subscription();

        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add("datagram " + i + " " + "x".repeat(i));
        }
        sent.add(""); // an empty datagram is a datagram
        Recorder<Void> sending = subscribe(client.send(texts(echo.localAddress(), sent.toArray(String[]::new))), 1);
        sending.awaitComplete();
        replies.awaitCount(sent.size());

        assertThat(replies.items()).extracting(DatagramEndpointTest::text).containsExactlyElementsOf(sent);
        assertThat(replies.items()).extracting(Datagram::address).containsOnly(echo.localAddress());
        assertThat(replies.items()).allSatisfy(d -> assertThat(d.content().position()).isZero());
        assertThat(echoing.isTerminated()).isFalse();
        return echo;
    }

    @Test
    void sendsSubscribedOneAfterAnotherGoOutInOrder() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind();
        Recorder<Datagram> in = subscribe(receiver.receive(), Long.MAX_VALUE);
        in.subscription();
        List<Recorder<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sends.add(subscribe(sender.send(texts(receiver.localAddress(), i + "a", i + "b", i + "c")), 1));
        }
        for (Recorder<Void> s : sends) {
            s.awaitComplete();
        }
        in.awaitCount(60);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.addAll(List.of(i + "a", i + "b", i + "c"));
        }
        assertThat(in.items()).extracting(DatagramEndpointTest::text).containsExactlyElementsOf(expected);
    }

    @Test
    void onATestLoopBindingAndEchoingRunOnTheDrivingThread() throws Exception {
        try (dev.loopflux.core.TestLoop test = dev.loopflux.core.TestLoop.create()) {
            UdpEndpoint echo = UdpEndpoint.bind(test, LOCAL, UdpOptions.defaults()); // registers at once, on this thread
            UdpEndpoint client = UdpEndpoint.bind(test, LOCAL, UdpOptions.defaults());
            echo.send(echo.receive()).subscribe(Recorder.requesting(1));
            Recorder<Datagram> replies = Recorder.onLoop(test, Long.MAX_VALUE);
            client.receive().subscribe(replies);
            client.send(texts(echo.localAddress(), "one", "two")).subscribe(Recorder.requesting(1));
            assertThat(test.runUntil(() -> replies.count() == 2, Duration.ofSeconds(10))).isTrue();
            assertThat(replies.items()).extracting(DatagramEndpointTest::text).containsExactly("one", "two");
            assertThat(replies.offLoopSignal).isNull();
            client.close();
            echo.close();
            assertThat(test.runUntil(() -> client.onClose().toCompletableFuture().isDone()
                    && echo.onClose().toCompletableFuture().isDone(), Duration.ofSeconds(10))).isTrue();
            replies.awaitComplete();
        }
    }

    // ---- backpressure ----------------------------------------------------------------------------

    /**
     * A receiver that requests one datagram at a time while a plain socket blasts 10,000 at it:
     * it gets exactly what it asked for, never more; the kernel drops what does not fit in the
     * receive buffer; once it asks for everything, what it gets is at most what that buffer
     * held (nothing was queued in the heap); nothing fails.
     */
    @Test
    void aSlowReceiverGetsWhatItAskedForAndTheKernelDropsTheRest() throws Exception {
        int receiveBuffer = 16 * 1024;
        int payload = 1000;
        int blast = 10_000;
        UdpEndpoint receiver = bind(LOCAL, UdpOptions.builder().receiveBufferSize(receiveBuffer).build());
        Recorder<Datagram> in = subscribe(receiver.receive(), 1);
        in.subscription();

        DatagramChannel peer = DatagramChannel.open(StandardProtocolFamily.INET);
        try (peer) {
            peer.connect(receiver.localAddress());
            CompletableFuture<Void> blasted = CompletableFuture.runAsync(() -> {
                ByteBuffer datagram = ByteBuffer.allocate(payload);
                try {
                    for (int i = 0; i < blast; i++) {
                        datagram.clear();
                        datagram.putInt(0, i);
                        peer.write(datagram);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, senders);

            // One at a time, while the blast goes on.
            int requested = 1;
            while (!blasted.isDone()) {
                try {
                    in.whenCount(requested).get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    continue; // the blast may just have ended with the buffer drained: look again
                }
                assertThat(in.count()).as("never more than requested").isEqualTo(requested);
                in.request(1);
                requested++;
            }
            blasted.get(10, TimeUnit.SECONDS);
            int slowCount = in.count();
            assertThat(slowCount).isBetween(requested - 1, requested);

            // Now everything: what the kernel kept, then an end marker sent until one arrives.
            in.request(Long.MAX_VALUE);
            ByteBuffer marker = ByteBuffer.allocate(4).putInt(0, -1);
            int markerAt = -1;
            for (int attempt = 0; attempt < 100 && markerAt < 0; attempt++) {
                peer.write(marker.clear());
                try {
                    in.whenCount(in.count() + 1).get(200, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // dropped or not yet read: send another
                }
                List<Datagram> items = in.items();
                for (int i = slowCount; i < items.size(); i++) {
                    if (items.get(i).size() == 4) {
                        markerAt = i;
                        break;
                    }
                }
            }
            assertThat(markerAt).as("an end marker arrived").isNotNegative();
            int drained = markerAt - slowCount;
            // Linux doubles SO_RCVBUF and charges each datagram more than its payload: this bound is loose.
            assertThat(drained).as("datagrams held for a receiver without demand: what the kernel buffer holds")
                    .isLessThanOrEqualTo(4 * receiveBuffer / payload);
            assertThat(markerAt).as("the kernel dropped some of the blast").isLessThan(blast);

            List<Integer> indices = new ArrayList<>();
            for (Datagram d : in.items().subList(0, markerAt)) {
                assertThat(d.size()).isEqualTo(payload);
                indices.add(d.content().getInt(0));
            }
            assertThat(indices).as("in order, with gaps where the kernel dropped").isSorted().doesNotHaveDuplicates();
            assertThat(in.isTerminated()).isFalse();
            assertThat(receiver.isOpen()).isTrue();
        }
    }

    @Test
    void withoutDemandNothingIsReadAndTheDatagramsWaitInTheKernel() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind();
        Recorder<Datagram> in = subscribe(receiver.receive(), 0);
        in.subscription();
        subscribe(sender.send(texts(receiver.localAddress(), "one", "two", "three")), 1).awaitComplete();
        Net.passSelect(loop);
        Net.passSelect(loop);
        assertThat(in.count()).isZero();
        in.request(2);
        in.awaitCount(2);
        Net.passSelect(loop);
        assertThat(in.items()).extracting(DatagramEndpointTest::text).containsExactly("one", "two");
        in.request(1);
        in.awaitCount(3);
        assertThat(text(in.items().get(2))).isEqualTo("three");
    }

    @Test
    void aSenderIsAskedForNoMoreThanTheHighWaterMark() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind(LOCAL, UdpOptions.builder().sendHighWaterMark(8).build());
        List<Long> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<org.reactivestreams.Subscriber<? super Datagram>> upstream = new CompletableFuture<>();
        Recorder<Void> sending = subscribe(sender.send(s -> {
            s.onSubscribe(new org.reactivestreams.Subscription() {
                @Override
                public void request(long n) {
                    requests.add(n);
                }

                @Override
                public void cancel() {
                }
            });
            upstream.complete(s);
        }), 1);
        upstream.get(10, TimeUnit.SECONDS);
        Net.passSelect(loop);
        assertThat(requests).containsExactly(8L);
        sending.cancel();
        Net.passSelect(loop);
        assertThat(receiver.isOpen()).isTrue();
    }

    @Test
    void datagramsEmittedOnAnotherThreadAreSentInOrderAndEverySignalIsOnTheLoop() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind();
        Recorder<Datagram> in = subscribe(receiver.receive(), Long.MAX_VALUE);
        in.subscription();
        int count = 50;
        Publisher<Datagram> offLoop = s -> senders.execute(() -> s.onSubscribe(new org.reactivestreams.Subscription() {
            private int next;
            private boolean done;

            @Override
            public void request(long n) { // the endpoint requests on the loop; emit on the sender thread
                senders.execute(() -> {
                    for (long i = 0; i < n && next < count && !done; i++) {
                        s.onNext(Datagram.to(receiver.localAddress(), bytes("off loop " + next++)));
                    }
                    if (next == count && !done) {
                        done = true;
                        s.onComplete();
                    }
                });
            }

            @Override
            public void cancel() {
                senders.execute(() -> done = true);
            }
        }));
        subscribe(sender.send(offLoop), 1).awaitComplete();
        in.awaitCount(count);
        for (int i = 0; i < count; i++) {
            assertThat(text(in.items().get(i))).isEqualTo("off loop " + i);
        }
    }

    @Test
    void aSendNeverCancelsItsDatagramsAfterTheyCompletedOrFailedRules2_3And2_4() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind();
        for (boolean fail : new boolean[] {false, true}) {
            java.util.concurrent.atomic.AtomicInteger cancels = new java.util.concurrent.atomic.AtomicInteger();
            Publisher<Datagram> oneThenEnd = s -> s.onSubscribe(new org.reactivestreams.Subscription() {
                private boolean done;

                @Override
                public void request(long n) {
                    if (!done) {
                        done = true;
                        s.onNext(Datagram.to(receiver.localAddress(), bytes("one")));
                        if (fail) {
                            s.onError(new IOException("source failed"));
                        } else {
                            s.onComplete();
                        }
                    }
                }

                @Override
                public void cancel() {
                    cancels.incrementAndGet();
                }
            });
            Recorder<Void> send = subscribe(sender.send(oneThenEnd), 1);
            if (fail) {
                assertThat(send.awaitError()).hasMessage("source failed");
            } else {
                send.awaitComplete();
            }
            Net.passSelect(loop);
            assertThat(cancels).as("cancel() after the datagrams' onComplete or onError (fail=%s)", fail).hasValue(0);
        }
    }

    @Test
    void aDatagramTheKernelCannotSendFailsItsSendNamingTheRecipientAndLaterSendsGoOn() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind(); // IPv4: an IPv6 recipient is refused
        Recorder<Datagram> in = subscribe(receiver.receive(), Long.MAX_VALUE);
        in.subscription();
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 9);
        Throwable error = subscribe(sender.send(Probe.publisherOf(
                Datagram.to(receiver.localAddress(), bytes("first")),
                Datagram.to(v6, bytes("refused")),
                Datagram.to(receiver.localAddress(), bytes("never")))), 1).awaitError();
        assertThat(error).isInstanceOf(IOException.class)
                .hasMessageContaining(Peers.describe(v6)).hasMessageContaining(Peers.describe(sender.localAddress()));
        subscribe(sender.send(texts(receiver.localAddress(), "later")), 1).awaitComplete();
        in.awaitCount(2);
        assertThat(in.items()).extracting(DatagramEndpointTest::text).containsExactly("first", "later");
        assertThat(sender.isOpen()).isTrue();
    }

    @Test
    void theLoopShuttingDownFailsTheReceiverAndClosesTheEndpoint() throws Exception {
        UdpEndpoint endpoint = bind();
        Recorder<Datagram> in = subscribe(endpoint.receive(), 1);
        in.subscription();
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(in.awaitError()).isInstanceOf(dev.loopflux.core.LoopShutdownException.class);
        await(endpoint.onClose());
        assertThat(endpoint.isOpen()).isFalse();
        assertThatThrownBy(() -> UdpEndpoint.bind(loop, LOCAL, UdpOptions.defaults()))
                .isInstanceOf(IOException.class).hasMessageContaining("shut down");
    }

    // ---- connected mode and ICMP -----------------------------------------------------------------

    @Test
    void aConnectedEndpointReceivesOnlyFromItsPeerAndSendsToItWithoutAnAddress() throws Exception {
        UdpEndpoint connected = bind();
        UdpEndpoint peer = bind();
        UdpEndpoint stranger = bind();
        await(connected.connect(peer.localAddress()));
        assertThat(connected.remoteAddress()).isEqualTo(peer.localAddress());
        Recorder<Datagram> in = subscribe(connected.receive(), Long.MAX_VALUE);
        Recorder<Datagram> atPeer = subscribe(peer.receive(), Long.MAX_VALUE);
        in.subscription();
        atPeer.subscription();

        subscribe(stranger.send(texts(connected.localAddress(), "from a stranger")), 1).awaitComplete();
        subscribe(peer.send(texts(connected.localAddress(), "from the peer")), 1).awaitComplete();
        in.awaitCount(1);
        assertThat(text(in.items().get(0))).isEqualTo("from the peer");
        assertThat(in.items().get(0).address()).isEqualTo(peer.localAddress());

        subscribe(connected.send(Probe.publisherOf(Datagram.toPeer(bytes("no address needed")))), 1).awaitComplete();
        atPeer.awaitCount(1);
        assertThat(text(atPeer.items().get(0))).isEqualTo("no address needed");
        assertThat(atPeer.items().get(0).address()).isEqualTo(connected.localAddress());

        Throwable elsewhere = subscribe(connected.send(texts(stranger.localAddress(), "nope")), 1).awaitError();
        assertThat(elsewhere).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Peers.describe(stranger.localAddress()))
                .hasMessageContaining("connected to " + Peers.describe(peer.localAddress()));
    }

    @Test
    void portUnreachableOnAConnectedEndpointFailsTheReceiveNamingThePeerAndTheEndpointStaysOpen() throws Exception {
        InetSocketAddress dead = closedPort();
        UdpEndpoint endpoint = bind();
        await(endpoint.connect(dead));
        Recorder<Datagram> in = subscribe(endpoint.receive(), 1);
        in.subscription();
        subscribe(endpoint.send(Probe.publisherOf(Datagram.toPeer(bytes("anyone there?")))), 1).awaitComplete();

        Throwable error = in.awaitError();
        assertThat(error).isInstanceOf(PortUnreachableException.class)
                .hasMessageContaining("port unreachable: " + Peers.describe(dead))
                .hasMessageContaining(Peers.describe(endpoint.localAddress()));
        assertThat(endpoint.isOpen()).isTrue();

        Recorder<Datagram> again = subscribe(endpoint.receive(), 1);
        again.subscription();
        Net.passSelect(loop);
        assertThat(again.isTerminated()).as("a new subscriber after the error").isFalse();
    }

    @Test
    void portUnreachableWithNobodyReceivingFailsTheNextSendNamingThePeer() throws Exception {
        InetSocketAddress dead = closedPort();
        UdpEndpoint endpoint = bind();
        await(endpoint.connect(dead));
        Throwable error = null;
        // The first send goes out; the ICMP answer is reported by a later one (on loopback, the next).
        for (int i = 0; i < 50 && error == null; i++) {
            Recorder<Void> send = subscribe(endpoint.send(Probe.publisherOf(Datagram.toPeer(bytes("ping " + i)))), 1);
            try {
                send.awaitComplete();
            } catch (java.util.concurrent.ExecutionException e) {
                error = e.getCause();
            }
        }
        assertThat(error).isInstanceOf(PortUnreachableException.class)
                .hasMessageContaining("port unreachable: " + Peers.describe(dead));
        assertThat(endpoint.isOpen()).isTrue();
    }

    // ---- limits and errors -----------------------------------------------------------------------

    @Test
    void aDatagramOverTheLimitFailsItsSendNamingSizeLimitAndRecipient() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind();
        Recorder<Datagram> in = subscribe(receiver.receive(), Long.MAX_VALUE);
        in.subscription();
        ByteBuffer tooBig = ByteBuffer.allocate(UdpOptions.MAX_IPV4_PAYLOAD + 1);
        Publisher<Datagram> datagrams = Probe.publisherOf(
                Datagram.to(receiver.localAddress(), bytes("before")),
                Datagram.to(receiver.localAddress(), tooBig),
                Datagram.to(receiver.localAddress(), bytes("after")));
        Throwable error = subscribe(sender.send(datagrams), 1).awaitError();

        assertThat(error).isExactlyInstanceOf(DatagramTooLargeException.class)
                .hasMessage("datagram of 65508 bytes exceeds the limit of 65507 to " + Peers.describe(receiver.localAddress()));
        assertThat(((DatagramTooLargeException) error).size()).isEqualTo(65_508);
        assertThat(((DatagramTooLargeException) error).limit()).isEqualTo(65_507);
        assertThat(sender.isOpen()).isTrue();

        subscribe(sender.send(texts(receiver.localAddress(), "next send")), 1).awaitComplete();
        in.awaitCount(2);
        assertThat(in.items()).extracting(DatagramEndpointTest::text).containsExactly("before", "next send");
    }

    @Test
    void aReceivedDatagramOverTheLimitIsDroppedAndCounted() throws Exception {
        UdpEndpoint receiver = bind(LOCAL, UdpOptions.builder().maxDatagramSize(100).build());
        UdpEndpoint sender = bind();
        Recorder<Datagram> in = subscribe(receiver.receive(), Long.MAX_VALUE);
        in.subscription();
        subscribe(sender.send(texts(receiver.localAddress(), "y".repeat(101), "x".repeat(100))), 1).awaitComplete();
        in.awaitCount(1);
        assertThat(text(in.items().get(0))).isEqualTo("x".repeat(100));
        assertThat(receiver.oversizeDropped()).isEqualTo(1);
        assertThat(in.isTerminated()).isFalse();
    }

    @Test
    void aDatagramWithoutRecipientOnAnUnconnectedEndpointFailsItsSend() throws Exception {
        UdpEndpoint endpoint = bind();
        Throwable error = subscribe(endpoint.send(Probe.publisherOf(Datagram.toPeer(bytes("to whom?")))), 1).awaitError();
        assertThat(error).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not connected").hasMessageContaining(Peers.describe(endpoint.localAddress()));
    }

    @Test
    void bindingAPortInUseThrowsBindExceptionNamingTheAddress() throws Exception {
        UdpEndpoint first = bind();
        assertThatThrownBy(() -> bind(first.localAddress(), UdpOptions.defaults()))
                .isInstanceOf(BindException.class)
                .hasMessageContaining(Peers.describe(first.localAddress()));
        assertThat(first.isOpen()).isTrue();
    }

    // ---- subscribers and closing -----------------------------------------------------------------

    @Test
    void oneReceiverAtATimeAndAnotherMaySubscribeAfterACancel() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind();
        Recorder<Datagram> first = subscribe(receiver.receive(), Long.MAX_VALUE);
        first.subscription();
        Recorder<Datagram> second = subscribe(receiver.receive(), 1);
        assertThat(second.awaitError()).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already has a subscriber");
        first.cancel();
        Recorder<Datagram> third = subscribe(receiver.receive(), 1);
        third.subscription();
        subscribe(sender.send(texts(receiver.localAddress(), "for the third")), 1).awaitComplete();
        third.awaitCount(1);
        assertThat(first.count()).isZero();
        assertThat(first.isTerminated()).isFalse();
        assertThat(receiver.isOpen()).isTrue();
    }

    @Test
    void closingCompletesTheReceiverFailsPendingSendsAndLateSubscribers() throws Exception {
        UdpEndpoint endpoint = bind();
        Recorder<Datagram> in = subscribe(endpoint.receive(), 1);
        in.subscription();
        Recorder<Void> pending = subscribe(endpoint.send(s -> s.onSubscribe(new org.reactivestreams.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        })), 1);
        pending.subscription();
        endpoint.close();
        await(endpoint.onClose());
        in.awaitComplete();
        assertThat(pending.awaitError()).isInstanceOf(ConnectionClosedException.class)
                .hasMessageContaining(Peers.describe(endpoint.localAddress()));
        assertThat(endpoint.isOpen()).isFalse();

        Recorder<Datagram> late = subscribe(endpoint.receive(), 1);
        assertThat(late.awaitError()).isInstanceOf(ConnectionClosedException.class).hasMessageContaining("closed");
        Recorder<Void> lateSend = subscribe(endpoint.send(texts(endpoint.localAddress(), "x")), 1);
        assertThat(lateSend.awaitError()).isInstanceOf(ConnectionClosedException.class);
        assertThat(endpoint.connect(LOCAL).toCompletableFuture()).failsWithin(Duration.ofSeconds(10));
    }

    @Test
    void closingFromInsideOnNextCompletesAfterOnNextReturns() throws Exception {
        UdpEndpoint receiver = bind();
        UdpEndpoint sender = bind();
        RecordingSubscriber nested = new RecordingSubscriber(Long.MAX_VALUE) {
            @Override
            void afterNext(ByteBuffer frame) {
                receiver.close();
            }
        };
        receiver.receive().subscribe(new org.reactivestreams.Subscriber<>() {
            @Override
            public void onSubscribe(org.reactivestreams.Subscription s) {
                nested.onSubscribe(s);
            }

            @Override
            public void onNext(Datagram d) {
                nested.onNext(d.content());
            }

            @Override
            public void onError(Throwable t) {
                nested.onError(t);
            }

            @Override
            public void onComplete() {
                nested.onComplete();
            }
        });
        subscribe(sender.send(texts(receiver.localAddress(), "last", "never")), 1).awaitComplete();
        assertThat(nested.terminated.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(nested.completed).isTrue();
        assertThat(nested.texts()).containsExactly("last");
        assertThat(nested.violations).isEmpty();
    }

    @Test
    void endpointsOpenedUsedAndClosedLeaveNoDescriptorBehind() throws Exception {
        Assumptions.assumeTrue(Net.openFileDescriptors() >= 0, "needs /proc/self/fd");
        churn(5); // warm up: classes loaded, scratch buffers made
        var before = Net.fileDescriptorTargets();
        churn(100);
        assertThatThrownBy(() -> UdpEndpoint.bind(loop, endpoints.get(0).localAddress(), UdpOptions.defaults()))
                .isInstanceOf(BindException.class); // a failed bind closes its socket too
        for (UdpEndpoint e : endpoints) {
            e.close();
            await(e.onClose());
        }
        int after = Net.awaitFileDescriptorsAtMost(before.size() + 2, loop);
        assertThat(after).as("descriptors before %s, after %s", before, Net.fileDescriptorTargets())
                .isLessThanOrEqualTo(before.size() + 2);
    }

    /** Binds {@code pairs} pairs, connects one side of each, sends a datagram each way. */
    private void churn(int pairs) throws Exception {
        for (int i = 0; i < pairs; i++) {
            UdpEndpoint a = bind();
            UdpEndpoint b = bind();
            await(a.connect(b.localAddress()));
            Recorder<Datagram> atB = subscribe(b.receive(), 1);
            Recorder<Datagram> atA = subscribe(a.receive(), 1);
            subscribe(a.send(Probe.publisherOf(Datagram.toPeer(bytes("hi " + i)))), 1).awaitComplete();
            atB.awaitCount(1);
            subscribe(b.send(texts(a.localAddress(), "hello " + i)), 1).awaitComplete();
            atA.awaitCount(1);
        }
    }
}

package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static dev.loopflux.core.net.TlsTesting.async;
import static dev.loopflux.core.net.TlsTesting.concat;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.zip.CRC32;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * TLS peers that make the transport work hard, after {@link TcpAdversarialTest}: records that
 * reach our server in pieces (so its reads end mid-record), tiny socket buffers (so the kernel
 * takes part of its writes of records), a peer that never reads, a subscriber that stops asking,
 * the last handshake flight in the same write as application data, and the engine's delegated
 * tasks kept off the loop.
 *
 * <p>The peers are {@link TlsPeer}s: a JDK {@code SSLEngine} over a plain socket, so that the test
 * chooses the pieces on the wire and the size of each read system call. The JDK's
 * {@code SSLSocket} would not do: it writes whole records in one call and reads whole records
 * from its socket whatever its caller asks, so a server facing it never sees a record in pieces.
 */
@Timeout(60)
class TlsAdversarialTest {
    private static final int MIB = 1 << 20;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private LoopGroup group;
    private TcpServer server;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        if (server != null) {
            await(server.close());
        }
        if (group != null) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, SECONDS);
        }
    }

    private Net.EchoHandler startEchoServer(TcpOptions.Builder options) throws Exception {
        group = LoopGroup.create("tls-adversarial", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, options.tls(TlsFixtures.serverOptions().build()).build());
        return Net.EchoHandler.serve(server);
    }

    /** A JDK client engine over a plain socket to our server; 0 leaves a socket buffer at the system's size. */
    private TlsPeer peer(int receiveBuffer, int sendBuffer, IntSupplier readSize) throws IOException {
        Socket socket = TlsPeer.connect(server.localAddress(), receiveBuffer, sendBuffer);
        cleanup.add(socket);
        return TlsPeer.client(socket, TlsFixtures.jdkContext(null), readSize);
    }

    private Loop sampler() {
        Loop sampler = Loop.create("sampler");
        cleanup.add(() -> sampler.shutdownGracefully().get(10, SECONDS));
        return sampler;
    }

    // ---- records in pieces, tiny buffers -----------------------------------------------------

    /**
     * 16 MiB through our server's TLS echo, with the pieces on the wire chosen by the test.
     * <ul>
     *   <li>Partial records in: the peer writes its records in random pieces of 1..1500 bytes, each
     *   a segment of its own (TCP_NODELAY), so the server's reads end mid-record and mid-header.</li>
     *   <li>Partial writes out: the server's send buffer and the peer's receive buffer are 4 KiB
     *   and the peer reads in random pieces of 1..256 bytes, each read a system call, so the kernel
     *   takes only a part of most of the server's writes of records (up to 4 records, 64 KiB, a
     *   write) and the rest waits in the TLS layer for {@code OP_WRITE}.</li>
     *   <li>Plaintext chunks of 256 bytes ({@code readBufferSize}): the echo is ~65,000 sends of
     *   small buffers, gathered into records.</li>
     * </ul>
     * Reading 16 MiB one byte per system call would take over 30 s here (about 2 µs a call), so
     * this test reads in pieces of 1..256 bytes and the next one reads strictly one byte per call.
     * A sampler on the server's loop confirms the server did hold records back mid-write and
     * mid-read; the CRC confirms nothing was lost, doubled or reordered.
     *
     * <p>The server's receive buffer keeps the system's size. With 4 KiB, and segments of a few
     * bytes each (a few hundred bytes of kernel memory apiece), Linux drops incoming segments once
     * the receive queue's memory is full even after pruning ({@code TcpExtTCPRcvQDrop}); the
     * connection then crawls on retransmission back-off, seconds per segment. That stalls TCP, not
     * the library (seen: the server waiting for {@code OP_WRITE} with 42 KB unacknowledged in its
     * socket and 5 retransmissions, the peer's receive queue empty), so it is left out.
     */
    @Test
    void sixteenMebibytesSurviveRecordsWrittenInPiecesAndReadInTinyPiecesThroughTinySocketBuffers() throws Exception {
        Net.EchoHandler echo = startEchoServer(TcpOptions.builder().sendBufferSize(4096).readBufferSize(256));
        TlsPeer peer = peer(4096, 4096, TlsPeer.randomSizes(256, 7));
        peer.handshake(false);
        Net.Served served = echo.next();
        TlsTesting.Held held = TlsTesting.Held.sample(served.connection());
        cleanup.add(held);

        int total = 16 * MIB;
        byte[] data = Net.random(total, 41);
        CompletableFuture<Void> writer = async("tls-peer-writer", () -> {
            IntSupplier pieces = TlsPeer.randomSizes(1500, 43);
            for (int i = 0; i < total; i += 16 * 1024) {
                peer.writeInPieces(peer.records(data, i, Math.min(16 * 1024, total - i)), pieces);
            }
            peer.writeRaw(peer.closeNotify());
        });
        CRC32 crc = new CRC32();
        long received = TlsTesting.readToCloseNotify(peer, crc, served.connection());
        writer.get(10, SECONDS);
        held.stop();

        assertThat(received).isEqualTo(total);
        assertThat(crc.getValue()).isEqualTo(Net.crc(data));
        served.echo().awaitComplete();
        assertThat(served.tap().bytes.get()).isEqualTo(total);
        assertThat(served.tap().chunks.get()).as("256-byte chunks").isGreaterThanOrEqualTo(total / 256);
        // the test did what it says: the server held records the kernel did not take, and its reads ended mid-record
        assertThat(held.netOutSeen.get()).as(held.toString()).isPositive();
        assertThat(held.netInSeen.get()).as(held.toString()).isPositive();
        assertThat(peer.oneByteReads).isPositive();
        await(served.connection().onClose()); // both close_notify sent: it closed by itself
    }

    /**
     * Half a MiB through the echo while the peer reads its socket strictly one byte per system
     * call (the handshake too), and writes its records in pieces of 1..100 bytes. The server's
     * send buffer is 4 KiB, so its writes of records are partial. (The peer's receive buffer keeps
     * the system's size: with 4 KiB, every byte read reopens the window by a byte and the test
     * spends its time in wake-ups, 12 s a MiB; for the server's, see the test above.)
     */
    @Test
    void halfAMebibyteSurvivesAPeerThatReadsOneBytePerSystemCall() throws Exception {
        Net.EchoHandler echo = startEchoServer(TcpOptions.builder().sendBufferSize(4096).readBufferSize(1024));
        TlsPeer peer = peer(0, 4096, () -> 1);
        peer.handshake(false);
        Net.Served served = echo.next();
        TlsTesting.Held held = TlsTesting.Held.sample(served.connection());
        cleanup.add(held);

        int total = MIB / 2;
        byte[] data = Net.random(total, 45);
        CompletableFuture<Void> writer = async("tls-peer-writer", () -> {
            IntSupplier pieces = TlsPeer.randomSizes(100, 47);
            for (int i = 0; i < total; i += 4096) {
                peer.writeInPieces(peer.records(data, i, Math.min(4096, total - i)), pieces);
            }
            peer.writeRaw(peer.closeNotify());
        });
        CRC32 crc = new CRC32();
        long received = TlsTesting.readToCloseNotify(peer, crc, served.connection());
        writer.get(10, SECONDS);
        held.stop();

        assertThat(received).isEqualTo(total);
        assertThat(crc.getValue()).isEqualTo(Net.crc(data));
        assertThat(peer.oneByteReads).isEqualTo(peer.reads);
        assertThat(peer.reads).as("one read per byte on the wire, records are longer than their plaintext").isGreaterThan(total);
        assertThat(held.netOutSeen.get()).as(held.toString()).isPositive();
        served.echo().awaitComplete();
        await(served.connection().onClose());
    }

    /**
     * A file sent through TLS (read on the loop, wrapped, written) to a peer reading in pieces of
     * 1..256 bytes through a 4 KiB receive buffer, the server's send buffer 4 KiB: the file's
     * records are taken by the kernel in parts, and the send completes only once the last was.
     */
    @Test
    void aFileSentThroughTlsSurvivesPartialWritesToASlowReader(@TempDir Path dir) throws Exception {
        int size = 4 * MIB + 123;
        byte[] content = Net.random(size, 61);
        Path file = Files.write(dir.resolve("payload.bin"), content);
        group = LoopGroup.create("tls-adversarial", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().sendBufferSize(4096)
                .tls(TlsFixtures.serverOptions().build()).build());
        BlockingQueue<Recorder<Void>> sends = new LinkedBlockingQueue<>();
        BlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
        BlockingQueue<Recorder<ByteBuffer>> inbounds = new LinkedBlockingQueue<>();
        server.connections().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Connection connection) {
                accepted.add(connection);
                inbounds.add(Recorder.subscribe(connection.inbound(), Long.MAX_VALUE));
                Recorder<Void> sent = Recorder.subscribe(connection.sendFile(file), 1);
                sent.terminal.thenRun(connection::shutdownOutput);
                sends.add(sent);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        TlsPeer peer = peer(4096, 0, TlsPeer.randomSizes(256, 63));
        peer.handshake(false);
        Connection connection = accepted.poll(10, SECONDS);
        assertThat(connection).isNotNull();
        TlsTesting.Held held = TlsTesting.Held.sample(connection);
        cleanup.add(held);

        CRC32 crc = new CRC32();
        long received = TlsTesting.readToCloseNotify(peer, crc, connection); // the server's close_notify after the file
        held.stop();
        assertThat(received).isEqualTo(size);
        assertThat(crc.getValue()).isEqualTo(Net.crc(content));
        sends.poll(10, SECONDS).awaitComplete();
        assertThat(held.netOutSeen.get()).as(held.toString()).isPositive();
        assertThat(held.maxNetOut.get()).as(held.toString()).isLessThanOrEqualTo(4L * connection.tlsSession().getPacketBufferSize());
        peer.writeRaw(peer.closeNotify());
        inbounds.poll(10, SECONDS).awaitComplete(); // the peer's close_notify: both sides done, the connection closes
        await(connection.onClose());
    }

    // ---- application data right behind the handshake -----------------------------------------

    /**
     * TLS 1.3: the client's Finished and its first application record arrive in one segment, so
     * the server's handshake read takes both. Then the client waits for the answer and sends
     * nothing more: if the record read along with the Finished is kept without being delivered,
     * no further readiness comes and the echo never happens.
     */
    @Test
    void applicationDataInTheSameWriteAsTheClientsFinishedIsEchoedWithoutAnotherByteFromThePeer() throws Exception {
        Net.EchoHandler echo = startEchoServer(TcpOptions.builder());
        TlsPeer peer = peer(0, 0, () -> 16 * 1024);
        byte[] lastFlight = peer.handshake(true);
        assertThat(lastFlight).as("the client's Finished, held back").isNotEmpty();
        assertThat(peer.engine.getSession().getProtocol()).isEqualTo("TLSv1.3");
        byte[] request = "hello, in the same write as the client's Finished".getBytes(US_ASCII);
        peer.writeRaw(concat(lastFlight, peer.records(request)));

        peer.socket.setSoTimeout(5_000);
        assertThat(peer.readExactly(request.length)).isEqualTo(request);
        Net.Served served = echo.next();
        assertThat(served.tap().bytes.get()).isEqualTo(request.length);
    }

    /**
     * The same from our client's side, with TLS 1.2, where the server finishes last: its
     * ChangeCipherSpec, Finished and first application record come in one segment, and our
     * client's user subscribes to the inbound as the connection is emitted (on the loop, inside
     * {@code onNext}, as Reactor's {@code flatMap} would). The greeting must arrive without the
     * server sending anything more.
     */
    @Test
    void ourClientDeliversApplicationDataThatCameInTheSameWriteAsTheServersFinished() throws Exception {
        group = LoopGroup.create("tls-adversarial", 1);
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        cleanup.add(listener);
        byte[] greeting = "greeting, in the same write as the server's Finished".getBytes(US_ASCII);
        CompletableFuture<Void> peerDone = async("tls-server-peer", () -> {
            try (Socket socket = listener.accept()) {
                socket.setSoTimeout(10_000);
                TlsPeer peer = TlsPeer.server(socket, TlsFixtures.jdkContext(TlsFixtures.server()), () -> 16 * 1024, "TLSv1.2");
                byte[] lastFlight = peer.handshake(true);
                peer.writeRaw(concat(lastFlight, peer.records(greeting)));
                assertThat(peer.readToCloseNotify()).isEmpty(); // our client closes with close_notify
            }
        });

        TcpOptions options = TcpOptions.builder().tls(TlsFixtures.clientOptions().protocols("TLSv1.2").build()).build();
        CompletableFuture<Connection> connected = new CompletableFuture<>();
        CompletableFuture<Recorder<ByteBuffer>> inbound = new CompletableFuture<>();
        TcpClient.connect(group.next(), listener.getLocalSocketAddress(), options).subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(1);
            }

            @Override
            public void onNext(Connection connection) {
                connected.complete(connection);
                inbound.complete(Recorder.subscribe(connection.inbound(), Long.MAX_VALUE));
            }

            @Override
            public void onError(Throwable t) {
                connected.completeExceptionally(t);
                inbound.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
            }
        });
        Connection connection = await(connected);
        Recorder<ByteBuffer> in = await(inbound);
        in.awaitCount(1);
        assertThat(in.bytes()).isEqualTo(greeting);
        assertThat(connection.tlsSession().getProtocol()).isEqualTo("TLSv1.2");
        connection.close();
        peerDone.get(10, SECONDS);
    }

    // ---- back pressure and memory ------------------------------------------------------------

    /**
     * The peer writes 16 MiB flat out and never reads; the server echoes. The echo soon holds
     * records the kernel refused, its sends stop asking for more at the high-water mark, the
     * server stops reading and the peer's writes stall. Memory held for the connection stays
     * under the outbound's high-water mark plus one chunk, at most 4 records of one write not
     * taken by the kernel, and one read's worth of records.
     */
    @Test
    void aPeerThatNeverReadsStallsTheEchoAndTheServerHoldsBoundedMemory() throws Exception {
        int highWaterMark = 64 * 1024;
        int readBuffer = 16 * 1024;
        Net.EchoHandler echo = startEchoServer(TcpOptions.builder().writeHighWaterMark(highWaterMark).readBufferSize(readBuffer)
                .sendBufferSize(4096).receiveBufferSize(4096));
        TlsPeer peer = peer(4096, 4096, () -> 16 * 1024);
        peer.handshake(false);
        Net.Served served = echo.next();
        TlsTesting.Held held = TlsTesting.Held.sample(served.connection());
        cleanup.add(held);

        int total = 16 * MIB;
        AtomicLong written = new AtomicLong();
        CRC32 sentCrc = new CRC32();
        CompletableFuture<Void> writer = writeRecordsFlatOut(peer, total, 31, written, sentCrc);
        Object first = CompletableFuture.anyOf(TlsTesting.whenStalled(sampler(), 15, written::get, served.tap().bytes::get), writer)
                .get(20, SECONDS);
        assertThat(first).as("the writer finished %d MiB: nothing pushed back", total / MIB).isInstanceOf(long[].class);
        long serverRead = ((long[]) first)[1];
        int packet = served.connection().tlsSession().getPacketBufferSize();
        int oneRead = Math.max(packet, readBuffer);
        // What the server read and echoed sits in its outbound (the mark plus one chunk), in
        // records not taken by the kernel (one write: 4 records), and in the kernel: the server's
        // 4 KiB send buffer and the peer's 4 KiB receive buffer, doubled by Linux, 64 KiB allowed.
        assertThat(serverRead).as(held.toString()).isLessThanOrEqualTo(highWaterMark + readBuffer + 4L * packet + 64 * 1024);
        assertThat(written.get()).isLessThan(total);
        assertThat(served.echo().isTerminated()).isFalse();
        assertThat(held.maxPending.get()).as(held.toString()).isLessThanOrEqualTo(highWaterMark + readBuffer);
        assertThat(held.maxNetOut.get()).as(held.toString()).isLessThanOrEqualTo(4L * packet);
        assertThat(held.maxNetIn.get()).as(held.toString()).isLessThanOrEqualTo(2L * oneRead);
        assertThat(held.maxAppIn.get()).as(held.toString()).isLessThanOrEqualTo(16 * 1024);
        assertThat(held.netOutSeen.get()).as("the kernel refused records: " + held).isPositive();

        // Now the peer reads: everything drains, intact.
        CRC32 receivedCrc = new CRC32();
        long received = TlsTesting.readToCloseNotify(peer, receivedCrc, served.connection());
        writer.get(10, SECONDS);
        assertThat(received).isEqualTo(total);
        assertThat(receivedCrc.getValue()).isEqualTo(sentCrc.getValue());
        served.echo().awaitComplete();
        await(served.connection().onClose());
    }

    /**
     * The server's subscriber requests one chunk and no more. The server must stop reading the
     * socket: the peer's writes stall once the kernel buffers are full, with at most one read's
     * worth of records (and the rest of one record's plaintext) held by the TLS layer. When the
     * subscriber asks for everything, all 16 MiB arrive intact.
     */
    @Test
    void aSubscriberThatTakesOneChunkAndStopsStallsThePeerWithBoundedMemoryHeld() throws Exception {
        int readBuffer = 16 * 1024;
        group = LoopGroup.create("tls-adversarial", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().readBufferSize(readBuffer).receiveBufferSize(4096)
                .tls(TlsFixtures.serverOptions().build()).build());
        BlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
        BlockingQueue<Recorder<ByteBuffer>> inbounds = new LinkedBlockingQueue<>();
        server.connections().subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Connection connection) {
                accepted.add(connection);
                inbounds.add(Recorder.subscribe(connection.inbound(), 1));
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        TlsPeer peer = peer(0, 4096, () -> 16 * 1024);
        peer.handshake(false);
        Connection connection = accepted.poll(10, SECONDS);
        Recorder<ByteBuffer> inbound = inbounds.poll(10, SECONDS);
        assertThat(connection).isNotNull();
        TlsTesting.Held held = TlsTesting.Held.sample(connection);
        cleanup.add(held);

        int total = 16 * MIB;
        AtomicLong written = new AtomicLong();
        CRC32 sentCrc = new CRC32();
        CompletableFuture<Void> writer = writeRecordsFlatOut(peer, total, 33, written, sentCrc);
        Object first = CompletableFuture.anyOf(TlsTesting.whenStalled(sampler(), 15, written::get), writer).get(20, SECONDS);
        assertThat(first).as("the writer finished %d MiB: the server read on without demand", total / MIB).isInstanceOf(long[].class);
        long stalledAt = ((long[]) first)[0];
        int packet = connection.tlsSession().getPacketBufferSize();
        int oneRead = Math.max(packet, readBuffer);
        assertThat(inbound.count()).isEqualTo(1);
        assertThat(inbound.items().get(0).remaining()).isLessThanOrEqualTo(readBuffer);
        // Held by the server: one read's worth of records and one record's plaintext; by the
        // kernel: the server's 4 KiB receive buffer and the peer's 4 KiB send buffer, doubled by
        // Linux, 64 KiB allowed.
        assertThat(held.maxNetIn.get()).as(held.toString()).isLessThanOrEqualTo(2L * oneRead);
        assertThat(held.maxAppIn.get()).as(held.toString()).isLessThanOrEqualTo(16 * 1024);
        assertThat(stalledAt).as(held.toString()).isLessThanOrEqualTo(readBuffer + 16 * 1024 + 2L * oneRead + 64 * 1024);
        assertThat(inbound.isTerminated()).isFalse();

        inbound.request(Long.MAX_VALUE);
        inbound.terminal.get(20, SECONDS); // the peer's close_notify
        writer.get(10, SECONDS);
        byte[] all = inbound.bytes();
        assertThat(all.length).isEqualTo(total);
        CRC32 receivedCrc = new CRC32();
        receivedCrc.update(all);
        assertThat(receivedCrc.getValue()).isEqualTo(sentCrc.getValue());
        connection.close();
    }

    // ---- delegated tasks -----------------------------------------------------------------------

    /** A call into a key or trust manager: which, on what thread, on which loop (null: none). */
    record Call(String method, String thread, String loop) {
    }

    /**
     * The engine's delegated tasks (certificate checks, the signature with the server's key) run
     * on the blocking pool, never on a loop: a key manager on the server and a trust manager on
     * our client record the thread of every call made during the handshake.
     */
    @Test
    void keyAndCertificateWorkOfTheHandshakeRunsOffTheLoops() throws Exception {
        List<Call> calls = new CopyOnWriteArrayList<>();
        TlsFixtures.Identity identity = TlsFixtures.server();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("key", identity.key(), TlsFixtures.PASSWORD.toCharArray(), identity.chain());
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, TlsFixtures.PASSWORD.toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(new KeyManager[] {new RecordingKeyManager((X509ExtendedKeyManager) kmf.getKeyManagers()[0], calls)}, null, null);

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", TlsFixtures.ca().certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, new TrustManager[] {new RecordingTrustManager((X509ExtendedTrustManager) tmf.getTrustManagers()[0], calls)}, null);

        group = LoopGroup.create("tls-adversarial", 2);
        server = TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.builder().tls(TlsOptions.server(serverContext).build()).build());
        Net.EchoHandler.serve(server);
        byte[] data = Net.random(100_000, 51);
        TcpOptions client = TcpOptions.builder().tls(TlsOptions.client(clientContext).build()).build();
        assertThat(Net.echoOnce(group.next(), server.localAddress(), client, data).get(20, SECONDS)).isEqualTo(data);

        assertThat(calls).extracting(Call::method).contains("chooseEngineServerAlias", "getPrivateKey", "checkServerTrusted");
        assertThat(calls).allSatisfy(call -> {
            assertThat(call.loop()).as(call.toString()).isNull();
            assertThat(call.thread()).as(call.toString()).startsWith("loopflux-offload-").doesNotStartWith("tls-adversarial");
        });
    }

    private static Call call(String method) {
        Loop loop = Loop.current();
        return new Call(method, Thread.currentThread().getName(), loop == null ? null : loop.name());
    }

    /** Delegates to the JDK's key manager, recording each call that picks or uses the server's key. */
    private static final class RecordingKeyManager extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager delegate;
        private final List<Call> calls;

        RecordingKeyManager(X509ExtendedKeyManager delegate, List<Call> calls) {
            this.delegate = delegate;
            this.calls = calls;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            calls.add(call("chooseEngineServerAlias"));
            return delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            calls.add(call("chooseEngineClientAlias"));
            return delegate.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            calls.add(call("chooseServerAlias"));
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            calls.add(call("getCertificateChain"));
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            calls.add(call("getPrivateKey"));
            return delegate.getPrivateKey(alias);
        }
    }

    /** Delegates to the JDK's trust manager, recording each check. */
    private static final class RecordingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final List<Call> calls;

        RecordingTrustManager(X509ExtendedTrustManager delegate, List<Call> calls) {
            this.delegate = delegate;
            this.calls = calls;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            calls.add(call("checkServerTrusted"));
            delegate.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            calls.add(call("checkClientTrusted"));
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            calls.add(call("checkServerTrusted"));
            delegate.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            calls.add(call("checkClientTrusted"));
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            calls.add(call("checkServerTrusted"));
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            calls.add(call("checkClientTrusted"));
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    /** On a thread of its own: {@code total} random bytes as records, counted and summed, then close_notify. */
    private static CompletableFuture<Void> writeRecordsFlatOut(TlsPeer peer, int total, long seed, AtomicLong written, CRC32 crc) {
        return async("tls-peer-writer", () -> {
            Random random = new Random(seed);
            byte[] chunk = new byte[8192];
            while (written.get() < total) {
                random.nextBytes(chunk);
                peer.writeRaw(peer.records(chunk));
                crc.update(chunk);
                written.addAndGet(chunk.length);
            }
            peer.writeRaw(peer.closeNotify());
        });
    }
}

package dev.loopflux.reactor;

import dev.loopflux.core.LoopGroup;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Mono;

/**
 * Reactive Streams TCK for the Reactor API's {@code TcpInbound.receiveLines()}: the server side
 * of a real TCP connection whose peer (a plain socket on a writer thread) writes exactly
 * {@code n} lines and half-closes. The peer writes as TCP flow control lets it, so a huge
 * {@code n} costs only what is read.
 *
 * <p>Skipped, and why: the {@code optional_spec111_*} multi-subscriber rules (a connection's bytes
 * go to one reader, by design); the {@code untested_*} rules are skipped by the TCK itself.
 * The failed publisher is the inbound of a connection already closed.
 */
public class ReceiveLinesVerification extends PublisherVerification<String> {
    private LoopGroup group;
    private DisposableServer server;
    private ExecutorService writers;
    private final BlockingQueue<TcpInbound> accepted = new LinkedBlockingQueue<>();
    private final List<Socket> peers = new ArrayList<>();

    public ReceiveLinesVerification() {
        super(new TestEnvironment(500));
    }

    @BeforeClass
    public void startServer() {
        group = LoopGroup.create("tck-lines", 2);
        writers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tck-lines-peer");
            t.setDaemon(true);
            return t;
        });
        server = TcpServer.create().port(0).runOn(group).handle((in, out) -> {
            accepted.add(in);
            return Mono.never(); // the connection lives until its peer goes
        }).bindNow();
    }

    @AfterMethod
    public void closePeers() throws IOException {
        synchronized (peers) {
            for (Socket peer : peers) {
                peer.close();
            }
            peers.clear();
        }
        accepted.clear();
    }

    @AfterClass
    public void stopServer() {
        writers.shutdownNow();
        server.disposeNow(Duration.ofSeconds(5));
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    @Override
    public Publisher<String> createPublisher(long elements) {
        TcpInbound in = connect();
        Socket peer;
        synchronized (peers) {
            peer = peers.get(peers.size() - 1);
        }
        writers.execute(() -> writeLines(peer, elements));
        return in.receiveLines();
    }

    @Override
    public Publisher<String> createFailedPublisher() {
        TcpInbound in = connect();
        ((Connection) in).dispose();
        ((Connection) in).onDispose().block(Duration.ofSeconds(5));
        return in.receiveLines();
    }

    private TcpInbound connect() {
        try {
            Socket peer = new Socket("127.0.0.1", server.port());
            synchronized (peers) {
                peers.add(peer);
            }
            TcpInbound in = accepted.poll(10, TimeUnit.SECONDS);
            if (in == null) {
                throw new IllegalStateException("the server did not accept in 10 s");
            }
            return in;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void writeLines(Socket peer, long count) {
        try {
            OutputStream out = peer.getOutputStream();
            StringBuilder batch = new StringBuilder();
            for (long i = 0; i < count; i++) {
                batch.append("line-").append(i).append('\n');
                if (batch.length() > 4096 || i == count - 1) {
                    out.write(batch.toString().getBytes(StandardCharsets.US_ASCII));
                    batch.setLength(0);
                }
            }
            peer.shutdownOutput();
        } catch (IOException e) {
            // the test is over and closed the socket: nothing more to write
        }
    }
}

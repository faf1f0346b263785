package dev.loopflux.core.net;

import dev.loopflux.core.LoopGroup;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/**
 * Reactive Streams TCK for {@link TcpServer#connections()}.
 *
 * <p>{@code createPublisher(n)} binds a fresh server and starts a helper that opens client
 * connections to it, a few ahead of what the server has accepted, until it has opened {@code n};
 * once the server has accepted {@code n} it closes the server, which completes the publisher. So
 * the stream has exactly {@code n} elements and then completes, as the rules that need
 * completion (§1.2, §1.5, §1.7, §3.17) require, and {@code n} may be huge: connections are only
 * opened as they are taken ({@code Integer.MAX_VALUE} for §3.17 costs a dozen sockets).
 *
 * <p>Skipped, and why: the {@code optional_spec111_*} multi-subscriber rules: the publisher takes
 * one subscriber at a time (documented; a second gets {@code IllegalStateException}), so the TCK
 * marks them skipped; the {@code untested_*} rules are skipped by the TCK itself.
 *
 * <p>No {@code @Timeout} here (a JUnit annotation): every TCK step is bounded by the
 * environment's timeouts.
 */
@SuppressWarnings("exports") // public for TestNG; see LengthPrefixedFramingVerification
public class ConnectionsPublisherVerification extends PublisherVerification<Connection> {
    /** Clients opened and not yet accepted, at most. */
    private static final int AHEAD = 4;

    private LoopGroup group;
    private ScheduledExecutorService helper;
    private final List<Fixture> fixtures = new ArrayList<>();

    public ConnectionsPublisherVerification() {
        super(new TestEnvironment(500));
    }

    @BeforeClass
    public void startLoops() {
        group = LoopGroup.create("tck-accept", 2);
        helper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tck-clients");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterMethod
    public void closeFixtures() throws Exception {
        List<Fixture> done;
        synchronized (fixtures) {
            done = new ArrayList<>(fixtures);
            fixtures.clear();
        }
        for (Fixture f : done) {
            f.close();
        }
    }

    @AfterClass
    public void stopLoops() throws Exception {
        helper.shutdownNow();
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public Publisher<Connection> createPublisher(long elements) {
        try {
            Fixture f = new Fixture(TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults()), elements);
            synchronized (fixtures) {
                fixtures.add(f);
            }
            f.start();
            return f.server.connections();
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up a server", e);
        }
    }

    /** A server whose connections already have a subscriber: a new one gets onSubscribe, then onError. */
    @Override
    public Publisher<Connection> createFailedPublisher() {
        try {
            Fixture f = new Fixture(TcpServer.bind(group, Net.LOCALHOST_ANY_PORT, TcpOptions.defaults()), 0);
            synchronized (fixtures) {
                fixtures.add(f);
            }
            f.server.connections().subscribe(new Subscriber<>() {
                @Override
                public void onSubscribe(Subscription s) {
                }

                @Override
                public void onNext(Connection c) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                }
            });
            return f.server.connections();
        } catch (IOException e) {
            throw new IllegalStateException("cannot set up a server", e);
        }
    }

    @Override
    public long boundedDepthOfOnNextAndRequestRecursion() {
        return 1; // requests made inside onNext only add demand
    }

    /** The connections the server accepted are real: one per client socket the helper opened. */
    @Test
    public void connectionsArriveAsTheHelperOpensThem() throws Throwable {
        Publisher<Connection> publisher = createPublisher(3);
        Recorder<Connection> r = Recorder.subscribe(publisher, Long.MAX_VALUE);
        r.awaitComplete();
        org.testng.Assert.assertEquals(r.count(), 3);
        for (Connection c : r.items()) {
            org.testng.Assert.assertNotNull(c.remoteAddress());
        }
    }

    /** One server, and a helper thread that opens exactly {@code n} clients to it, then closes it. */
    private final class Fixture {
        final TcpServer server;
        final long n;
        final SocketAddress address;
        private final List<SocketChannel> clients = new ArrayList<>();
        private long opened;
        private boolean closing;
        private ScheduledFuture<?> task;

        Fixture(TcpServer server, long n) {
            this.server = server;
            this.n = n;
            this.address = server.localAddress();
        }

        void start() {
            if (n == 0) {
                closing = true;
                server.close(Duration.ZERO);
                return;
            }
            task = helper.scheduleWithFixedDelay(this::tick, 0, 1, TimeUnit.MILLISECONDS);
        }

        /** Helper thread. */
        private synchronized void tick() {
            if (closing) {
                return;
            }
            long accepted = server.acceptedConnections();
            if (accepted >= n) {
                closing = true;
                server.close(Duration.ZERO); // completes the publisher; closes what it handed out
                task.cancel(false);
                return;
            }
            try {
                while (opened < n && opened - accepted < AHEAD) {
                    clients.add(SocketChannel.open(address)); // completes in the kernel's backlog
                    opened++;
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot connect to " + address, e);
            }
        }

        synchronized void close() throws Exception {
            closing = true;
            if (task != null) {
                task.cancel(false);
            }
            for (SocketChannel c : clients) {
                c.close();
            }
            Net.await(server.close(Duration.ZERO));
        }
    }
}

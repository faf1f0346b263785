package dev.loopflux.bench.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How a multi-loop server should spread connections: Loopflux's accept-and-hand-off (one loop
 * accepts, each connection is registered on the next loop) against one listening socket per
 * thread with {@code SO_REUSEPORT} (the kernel spreads connections), and a single thread that
 * does everything (Loopflux on one loop, and bare NIO on one thread, to tell the cost of the
 * design from the cost of the library per connection). Load: client threads that connect, send one byte, read the echo and close, as
 * fast as they can. Score: connections per second.
 *
 * <pre>java -cp benchmarks/target/loopflux-benchmarks.jar dev.loopflux.bench.echo.AcceptBench [seconds] [clientThreads]</pre>
 */
public final class AcceptBench {

    private AcceptBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        String[] designs = {"loopflux-handoff-2", "loopflux-single-1", "nio-reuseport-2", "nio-single-1"};
        System.out.println("design | connections/s");
        for (int round = 0; round < 2; round++) {
            for (String design : designs) {
                double rate = run(design, seconds, clients);
                if (round == 1) { // the first round is the warm-up
                    System.out.printf("%s | %,.0f%n", design, rate);
                }
            }
        }
    }

    static double run(String design, int seconds, int clients) throws Exception {
        try (AutoCloseable server = start(design)) {
            int port = ((Port) server).port();
            AtomicLong done = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                Thread t = new Thread(() -> churn(port, end, done), "churn-" + i);
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join();
            }
            return done.get() / (double) seconds;
        }
    }

    private static void churn(int port, long end, AtomicLong done) {
        ByteBuffer one = ByteBuffer.allocate(1);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        while (System.nanoTime() < end) {
            try (SocketChannel c = SocketChannel.open(address)) {
                one.clear();
                c.write(one);
                one.clear();
                if (c.read(one) != 1) {
                    throw new IOException("no echo");
                }
                done.incrementAndGet();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    interface Port {
        int port();
    }

    static AutoCloseable start(String design) throws Exception {
        return switch (design) {
            case "loopflux-handoff-2" -> new LoopfluxServer(2);
            case "loopflux-single-1" -> new LoopfluxServer(1);
            case "nio-reuseport-2" -> new ReusePortServer(2);
            case "nio-single-1" -> new ReusePortServer(1);
            default -> throw new IllegalArgumentException(design);
        };
    }

    /** Loop-core's server on a group: one loop accepts, connections go round-robin to the loops. */
    static final class LoopfluxServer implements AutoCloseable, Port {
        private final dev.loopflux.core.LoopGroup group;
        private final LoopfluxEcho.Server echo;

        LoopfluxServer(int loops) throws IOException {
            group = dev.loopflux.core.LoopGroup.create("accept", loops);
            echo = new LoopfluxEcho.Server(group);
        }

        @Override
        public int port() {
            return echo.port();
        }

        @Override
        public void close() throws Exception {
            echo.close();
            group.shutdownGracefully(java.time.Duration.ZERO, java.time.Duration.ofSeconds(5)).join();
        }
    }

    /** Bare NIO: each thread has its own listening socket on the same port (SO_REUSEPORT) and serves what it accepts. */
    static final class ReusePortServer implements AutoCloseable, Port {
        private final List<Thread> threads = new ArrayList<>();
        private final List<Selector> selectors = new ArrayList<>();
        private final List<ServerSocketChannel> listeners = new ArrayList<>();
        private volatile boolean running = true;
        private final int port;

        ReusePortServer(int threadCount) throws IOException {
            int bound = 0;
            for (int i = 0; i < threadCount; i++) {
                ServerSocketChannel listener = ServerSocketChannel.open();
                listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                listener.bind(new InetSocketAddress("127.0.0.1", bound), 1024);
                bound = listener.socket().getLocalPort();
                listener.configureBlocking(false);
                Selector selector = Selector.open();
                listener.register(selector, SelectionKey.OP_ACCEPT);
                listeners.add(listener);
                selectors.add(selector);
                Thread t = new Thread(() -> serve(listener, selector), "reuseport-" + i);
                t.start();
                threads.add(t);
            }
            port = bound;
        }

        private void serve(ServerSocketChannel listener, Selector selector) {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            while (running) {
                try {
                    selector.select(key -> {
                        try {
                            if (key.isAcceptable()) {
                                SocketChannel c;
                                while ((c = listener.accept()) != null) {
                                    c.configureBlocking(false);
                                    c.register(selector, SelectionKey.OP_READ);
                                }
                            } else {
                                SocketChannel c = (SocketChannel) key.channel();
                                buffer.clear();
                                int n = c.read(buffer);
                                if (n < 0) {
                                    c.close();
                                } else {
                                    buffer.flip();
                                    c.write(buffer);
                                }
                            }
                        } catch (IOException e) {
                            key.cancel();
                        }
                    }, 100);
                } catch (IOException e) {
                    return;
                }
            }
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public void close() throws Exception {
            running = false;
            for (Thread t : threads) {
                t.join(5000);
            }
            for (Selector s : selectors) {
                for (SelectionKey k : s.keys()) {
                    k.channel().close();
                }
                s.close();
            }
        }
    }
}

package dev.loopflux.samples;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopMetrics;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.reactor.DisposableServer;
import dev.loopflux.reactor.TcpInbound;
import dev.loopflux.reactor.TcpOutbound;
import dev.loopflux.reactor.TcpServer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;

/**
 * The README's main job, and the default command: an echo server written with the Reactor API
 * ({@code (in, out) -> out.send(in.receive())}) and a load client, both in this process, on
 * loopback, for a few seconds. It shows a live progress line, then a table: messages per second,
 * round-trip latency, what the loops did, and how much heap each open connection costs.
 *
 * <p>The server runs on a group of loops (one per core by default); the load client is one
 * plain NIO thread ({@link LoadClient}). On a small machine they share the cores, so the numbers
 * are a demonstration, not a benchmark: see {@code benchmarks/} for those.
 */
final class Demo {
    static final String USAGE = "usage: demo [--seconds N (default 5)] [--connections N (default 64)] [--inflight N (default 16)]"
            + " [--size BYTES (default 128)] [--loops N (default: cores)]";
    /**
     * The watchdog samples each loop every {@code blockedThreshold / 8}; the default 1 s would
     * see no task of an echo server. 400 ms gives a 50 ms resolution for "longest task", and still
     * reports only a run that is really stuck.
     */
    private static final Duration BLOCKED_THRESHOLD = Duration.ofMillis(400);

    /** What the demo does; parsed from the command line. */
    record Settings(int seconds, int connections, int inflight, int size, int loops) {
        static Settings parse(String[] args) {
            Args options = Args.parse(args, Set.of("--seconds", "--connections", "--inflight", "--size", "--loops"));
            return new Settings(
                    options.integer("--seconds", 5, 1, 3600),
                    options.integer("--connections", 64, 1, 10_000),
                    options.integer("--inflight", 16, 1, 1024),
                    options.integer("--size", 128, 8, 64 * 1024),
                    options.integer("--loops", Runtime.getRuntime().availableProcessors(), 1, 1024));
        }
    }

    private final Settings settings;
    private final PrintStream out;
    /** On a terminal the progress line is redrawn in place ({@code \r}); otherwise one line per second. */
    private final boolean redraw;

    Demo(Settings settings, PrintStream out, boolean redraw) {
        this.settings = settings;
        this.out = out;
        this.redraw = redraw;
    }

    /** The {@code demo} command. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        new Demo(settings, out, out == System.out && System.console() != null).run();
        return 0;
    }

    void run() throws Exception {
        Settings s = settings;
        warmUp();
        LoopGroup group = LoopGroup.create(LoopOptions.builder().name("echo").loops(s.loops())
                .blockedThreshold(BLOCKED_THRESHOLD).build());
        List<LoopMetrics> metrics = new ArrayList<>();
        LoadClient.Result result;
        double heapPerConnection;
        try {
            DisposableServer server = TcpServer.create()
                    .runOn(group)
                    .handle(Demo::echo)
                    .bindNow();
            InetSocketAddress address = (InetSocketAddress) server.address();
            out.printf("Loopflux demo: an echo server (Reactor API) on %d loop(s), listening on %s:%d%n", group.size(),
                    address.getHostString(), address.getPort());
            out.printf("load: %d connections x %d messages in flight x %d bytes, for %d s, from one client thread%n%n",
                    s.connections(), s.inflight(), s.size(), s.seconds());
            out.flush();

            long heapBefore = heapAfterGc();
            try (LoadClient client = LoadClient.connect(address, s.connections(), s.inflight(), s.size())) {
                client.roundTripEach(Duration.ofSeconds(30)); // every connection is set up on the server
                heapPerConnection = (heapAfterGc() - heapBefore) / (double) s.connections();
                int[] second = {0};
                result = client.run(Duration.ofSeconds(s.seconds()), echoes -> progress(++second[0], echoes));
            }
            if (redraw) {
                out.println();
            }
            for (Loop loop : group) {
                metrics.add(loop.metrics());
            }
            server.disposeNow(Duration.ofSeconds(1));
        } finally {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
        table(result, heapPerConnection, metrics);
        out.println();
        out.println("All loops shut down.");
    }

    /** The whole echo server: what comes in goes out, with backpressure from end to end. */
    private static Publisher<Void> echo(TcpInbound in, TcpOutbound out) {
        return out.send(in.receive());
    }

    /**
     * Runs the whole path once (a server, connections, echoes) on a throwaway loop with no
     * watchdog. The JVM loads and links the classes there, which can take a cold JVM hundreds of
     * milliseconds, so that the loops measured afterwards do not count it as their longest task,
     * nor the heap measured count what it allocates once.
     */
    private static void warmUp() throws Exception {
        LoopGroup warm = LoopGroup.create(LoopOptions.builder().name("warm-up").loops(1).blockedThreshold(Duration.ZERO).build());
        try {
            DisposableServer server = TcpServer.create().runOn(warm).handle(Demo::echo).bindNow();
            try (LoadClient client = LoadClient.connect((InetSocketAddress) server.address(), 4, 4, 64)) {
                client.roundTripEach(Duration.ofSeconds(30));
                client.run(Duration.ofMillis(300), ignored -> { });
            }
            server.disposeNow(Duration.ofSeconds(1));
        } finally {
            warm.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
    }

    /** The live line, once a second. */
    private void progress(int second, long echoes) {
        String line = String.format("[%2d/%d s] %,12d msgs/s", second, settings.seconds(), echoes);
        if (redraw) {
            out.print("\r" + line);
        } else {
            out.println(line);
        }
        out.flush();
    }

    private void table(LoadClient.Result r, double heapPerConnection, List<LoopMetrics> metrics) {
        out.println();
        out.printf("messages per second       %,.0f%n", r.messagesPerSecond());
        out.printf("latency p50 / p99         %s / %s%n", micros(r.percentile(50)), micros(r.percentile(99)));
        out.printf("heap per connection       %s%n", heapPerConnection > 0
                ? String.format("%,.1f KiB (idle, after GC; both ends are in this process)", heapPerConnection / 1024)
                : "below what GC noise lets us see");
        out.println();
        out.println("loop       iterations        tasks         keys   longest task");
        for (LoopMetrics m : metrics) {
            out.printf("%-8s %12d %12d %12d   %s%n", m.name(), m.iterations(), m.tasksRun(), m.keysDispatched(),
                    m.longestTask().isZero()
                            ? "< " + BLOCKED_THRESHOLD.dividedBy(8).toMillis() + " ms (watchdog tick)"
                            : m.longestTask().toMillis() + " ms");
        }
    }

    /** Heap in use after a full collection: the live objects, near enough. */
    private static long heapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc(); // a full collection with the JDK's collectors, unless -XX:+DisableExplicitGC
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String micros(long nanos) {
        return String.format("%,.1f us", nanos / 1000.0);
    }
}

package dev.loopflux.bench.echo;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Echo servers side by side, each in its own JVM, under the same load client (this process).
 *
 * <pre>
 * java -cp benchmarks/target/loopflux-benchmarks.jar dev.loopflux.bench.echo.EchoBench \
 *      [--impls loopflux,reactor,reactor-map,netty,reactor-netty,nio] [--scenarios throughput,pingpong,large,idle,slow,idle-warm,slow-long]
 *      [--seconds 10] [--warmup 3] [--idle 10000] [--slow 16] [--tls] [--verify]
 * </pre>
 *
 * Scenarios: {@code throughput} 64 connections x 16 in flight x 128 B; {@code pingpong}
 * 1 x 1 x 64 B; {@code large} 16 x 4 x 16 KiB; {@code idle} N connections after one echo each
 * (server RSS and heap per connection); {@code slow} 16 connections ({@code --slow N}) writing flat out without
 * ever reading (server RSS growth); {@code slow-long} (not run by default; give it {@code --seconds 60})
 * the same with the server's heap after full GCs every 10 s; {@code idle-warm} (not run by default) the memory of N idle
 * connections on a warm server, outside the heap and in it ({@link #idleWarm}). Server CPU time comes from the server process's own
 * accounting, so the client's share of the two cores does not count against it.
 *
 * <p>{@code --tls}: every connection speaks TLS 1.3 with {@value EchoTls#CIPHER}, on the JDK's TLS
 * implementation at both ends, with one EC P-256 key made for the run ({@link EchoTls}). The
 * default implementations are then all but {@code nio}, which has no TLS. Handshakes are done
 * before a scenario's warm-up, so they are not measured. {@code --verify}: the load client checks
 * every echo byte for byte (costs client time; for checking, not for measuring).
 */
public final class EchoBench {

    private EchoBench() {
    }

    /** Plain TCP, or TLS with this key; {@code verify}: the load client checks every echo. */
    record Mode(EchoTls tls, boolean verify) {
        static final Mode PLAIN = new Mode(null, false);

        /** The load client's context, or null for plain TCP. */
        SSLContext clientContext() {
            return tls == null ? null : tls.clientContext();
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of(
                "--impls", "", "--scenarios", "throughput,pingpong,large,idle,slow",
                "--seconds", "10", "--warmup", "3", "--idle", "10000", "--slow", "16"));
        boolean tls = false;
        boolean verify = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--tls")) {
                tls = true;
            } else if (args[i].equals("--verify")) {
                verify = true;
            } else if (!options.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + options.keySet() + ", --tls, --verify");
            } else if (i + 1 == args.length) {
                throw new IllegalArgumentException("no value after " + args[i]);
            } else {
                options.put(args[i], args[++i]);
            }
        }
        String impls = options.get("--impls");
        if (impls.isEmpty()) {
            impls = tls ? "loopflux,reactor,netty,reactor-netty" : "loopflux,reactor,netty,reactor-netty,nio";
        }
        Duration seconds = Duration.ofSeconds(Long.parseLong(options.get("--seconds")));
        Duration warmup = Duration.ofSeconds(Long.parseLong(options.get("--warmup")));
        int idle = Integer.parseInt(options.get("--idle"));
        int slow = Integer.parseInt(options.get("--slow"));
        Mode mode = new Mode(tls ? EchoTls.generate() : null, verify);
        if (tls) {
            System.out.println("TLS: " + EchoTls.PROTOCOL + " " + EchoTls.CIPHER + ", EC P-256 self-signed key made for this run,"
                    + " JDK provider at both ends (" + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ")");
        }
        for (String scenario : options.get("--scenarios").split(",")) {
            List<String[]> rows = new ArrayList<>();
            for (String impl : impls.split(",")) {
                try (ServerProcess server = ServerProcess.start(impl, mode, scenario.equals("idle-warm"))) {
                    rows.add(run(scenario, impl, server, warmup, seconds, idle, slow, mode));
                } catch (Exception e) {
                    // One server failing (a stalled connection, say) is a result; the others still run.
                    e.printStackTrace();
                    rows.add(new String[] {impl, "FAILED: " + e});
                }
            }
            print(scenario, mode, rows);
        }
    }

    static String[] run(String scenario, String impl, ServerProcess server, Duration warmup, Duration seconds, int idle,
            int slow, Mode mode) throws Exception {
        return switch (scenario) {
            case "throughput" -> load(impl, server, 64, 16, 128, warmup, seconds, mode);
            case "pingpong" -> load(impl, server, 1, 1, 64, warmup, seconds, mode);
            case "large" -> load(impl, server, 16, 4, 16384, warmup, seconds, mode);
            case "idle" -> idle(impl, server, idle, mode);
            case "idle-warm" -> idleWarm(impl, server, idle, mode);
            case "slow" -> slowReaders(impl, server, slow, seconds, null, mode);
            case "slow-long" -> slowReaders(impl, server, slow, seconds, Duration.ofSeconds(10), mode);
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        };
    }

    /** Columns: impl, msgs/s, p50 us, p99 us, server CPU us/msg. */
    static String[] load(String impl, ServerProcess server, int connections, int inflight, int size, Duration warmup,
            Duration seconds, Mode mode) throws Exception {
        // The CPU window has to match the measured window: start it once the warm-up is over.
        long[] cpuAtMeasureStart = new long[1];
        Thread sampler = new Thread(() -> {
            try {
                Thread.sleep(warmup.toMillis()); // a harness timer, not a test wait
                cpuAtMeasureStart[0] = server.cpuNanos();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        sampler.start();
        EchoLoadClient.Result result = EchoLoadClient.run(server.port, connections, inflight, size, warmup, seconds,
                mode.clientContext(), mode.verify());
        long cpuEnd = server.cpuNanos();
        sampler.join();
        if (mode.tls() != null && !result.session().equals(EchoTls.PROTOCOL + " " + EchoTls.CIPHER)) {
            throw new IllegalStateException(impl + " negotiated " + result.session());
        }
        double cpuPerMessageUs = (cpuEnd - cpuAtMeasureStart[0]) / 1e3 / Math.max(1, result.messages());
        return new String[] {impl,
                String.format("%,.0f", result.messagesPerSecond()),
                String.format("%.1f", result.latencyNanos().getValueAtPercentile(50) / 1e3),
                String.format("%.1f", result.latencyNanos().getValueAtPercentile(99) / 1e3),
                String.format("%.3f", cpuPerMessageUs)};
    }

    /** Columns: impl, connections, RSS bytes/conn, heap bytes/conn. With TLS, each connection is a JDK {@link SSLSocket}. */
    static String[] idle(String impl, ServerProcess server, int count, Mode mode) throws Exception {
        long[] before = server.stats();
        List<Closeable> open = openIdle(server, count, mode);
        try {
            long[] after = server.stats();
            return new String[] {impl, String.valueOf(count),
                    String.format("%,d", (after[0] - before[0]) * 1024 / count),
                    String.format("%,d", (after[1] - before[1]) / count)};
        } finally {
            closeAll(open);
        }
    }

    /**
     * What an idle connection costs once the server is warm. The server's heap is touched at start
     * ({@code -XX:+AlwaysPreTouch}, see {@link ServerProcess#start}) and a first round of N
     * connections is opened and closed before the baseline, so the JIT's and the C library's
     * one-time growth is not charged to the connections. Then RSS growth is what lies outside the
     * Java heap, heap growth (after full GCs) what lies in it, and their sum the memory per
     * connection. Columns: impl, connections, outside-heap RSS bytes/conn, heap bytes/conn, sum.
     */
    static String[] idleWarm(String impl, ServerProcess server, int count, Mode mode) throws Exception {
        List<Closeable> warmUp = openIdle(server, count, mode);
        for (Closeable c : warmUp) {
            endAndAwaitClose(c);
        }
        long[] before = server.stats();
        List<Closeable> open = openIdle(server, count, mode);
        try {
            long[] after = server.stats();
            // The heap is touched as it is committed (pre-touch), so a heap that grew or shrank moves
            // RSS by as much: that part is the heap's. What is left is outside it (signed: not hidden).
            long outside = ((after[3] - before[3]) * 1024 - (after[2] - before[2])) / count;
            long heap = (after[1] - before[1]) / count;
            return new String[] {impl, String.valueOf(count), String.format("%,d", outside), String.format("%,d", heap),
                    String.format("%,d", outside + heap)};
        } finally {
            closeAll(open);
        }
    }

    /** {@code count} connections to the server, each after one 64-byte echo. */
    private static List<Closeable> openIdle(ServerProcess server, int count, Mode mode) throws Exception {
        SSLContext tls = mode.clientContext();
        List<Closeable> open = new ArrayList<>(count);
        boolean done = false;
        try {
            ByteBuffer message = ByteBuffer.allocate(64);
            ByteBuffer reply = ByteBuffer.allocate(64);
            for (int i = 0; i < count; i++) {
                if (tls != null) {
                    SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", server.port);
                    open.add(s);
                    s.setSSLParameters(EchoTls.clientParameters(s.getSSLParameters()));
                    s.setSoTimeout(30_000); // a server that stalls fails the scenario rather than hanging the harness
                    s.getOutputStream().write(message.array());
                    s.getOutputStream().flush();
                    if (s.getInputStream().readNBytes(reply.array(), 0, 64) < 64) {
                        throw new IOException("server closed connection " + i);
                    }
                    continue;
                }
                SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port));
                open.add(c);
                message.clear();
                while (message.hasRemaining()) {
                    c.write(message);
                }
                reply.clear();
                while (reply.hasRemaining()) {
                    if (c.read(reply) < 0) {
                        throw new IOException("server closed connection " + i);
                    }
                }
            }
            done = true;
            return open;
        } finally {
            if (!done) {
                closeAll(open);
            }
        }
    }

    /**
     * Ends the client's side and waits until the server has closed its own (every echo server
     * closes when its input ends), so that the server's connection is gone before a baseline.
     */
    private static void endAndAwaitClose(Closeable connection) throws IOException {
        try (connection) {
            if (connection instanceof SSLSocket s) {
                s.shutdownOutput(); // TLS 1.3 close_notify; the server answers with its own
                while (s.getInputStream().read() >= 0) {
                    // nothing more is echoed
                }
            } else if (connection instanceof SocketChannel c) {
                c.shutdownOutput();
                c.socket().setSoTimeout(30_000);
                if (c.socket().getInputStream().read() >= 0) {
                    throw new IOException("server echoed after the input ended");
                }
            }
        }
    }

    private static void closeAll(List<Closeable> open) throws IOException {
        for (Closeable c : open) {
            c.close();
        }
    }

    /**
     * Columns: impl, bytes the clients got the server to take, server RSS growth MB. With TLS, the
     * clients encrypt what they write (the bytes counted are plain bytes).
     */
    /**
     * Columns: impl, bytes taken from the clients, the largest server RSS growth seen; with
     * {@code heapEvery}, also the server's heap after full GCs at the start and at each such mark
     * (a heap that does not hold what goes through it stays flat).
     */
    static String[] slowReaders(String impl, ServerProcess server, int connections, Duration seconds, Duration heapEvery,
            Mode mode) throws Exception {
        StringBuilder heap = new StringBuilder();
        if (heapEvery != null) {
            heap.append(String.format("%.1f", server.stats()[1] / 1048576.0));
        }
        long rssBefore = server.rssKb();
        SSLContext tls = mode.clientContext();
        List<ClientChannel> open = new ArrayList<>();
        long sent = 0;
        try {
            for (int i = 0; i < connections; i++) {
                ClientChannel c = tls == null
                        ? new ClientChannel.Plain(SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port)))
                        : ClientChannel.open(server.port, tls);
                open.add(c);
                c.socket().configureBlocking(false);
            }
            ByteBuffer chunk = ByteBuffer.allocateDirect(65536);
            long start = System.nanoTime();
            long end = start + seconds.toNanos();
            long nextHeap = heapEvery == null ? Long.MAX_VALUE : start + heapEvery.toNanos();
            long maxRss = rssBefore;
            while (System.nanoTime() < end) {
                if (System.nanoTime() >= nextHeap) {
                    heap.append(' ').append(String.format("%.1f", server.stats()[1] / 1048576.0));
                    nextHeap += heapEvery.toNanos();
                }
                int progress = 0;
                for (ClientChannel c : open) {
                    chunk.clear();
                    int n = c.write(chunk);
                    sent += n;
                    progress += n;
                }
                maxRss = Math.max(maxRss, server.rssKb());
                if (progress == 0) {
                    Thread.onSpinWait();
                }
            }
            String taken = String.format("%,d MiB", sent >> 20);
            String growth = String.format("%.1f", (maxRss - rssBefore) / 1024.0);
            if (heapEvery != null) {
                heap.append(' ').append(String.format("%.1f", server.stats()[1] / 1048576.0));
                return new String[] {impl, taken, growth, heap.toString()};
            }
            return new String[] {impl, taken, growth};
        } finally {
            for (ClientChannel c : open) {
                c.close();
            }
        }
    }

    private static void print(String scenario, Mode mode, List<String[]> rows) {
        String[] header = switch (scenario) {
            case "idle" -> new String[] {"impl", "connections", "RSS B/conn", "heap B/conn"};
            case "idle-warm" -> new String[] {"impl", "connections", "RSS outside the heap B/conn", "heap B/conn", "sum B/conn"};
            case "slow" -> new String[] {"impl", "taken from clients", "server RSS growth MB"};
            case "slow-long" -> new String[] {"impl", "taken from clients", "server RSS growth MB",
                    "heap after full GC MB: at start, then every 10 s"};
            default -> new String[] {"impl", "msgs/s", "p50 us", "p99 us", "server CPU us/msg"};
        };
        System.out.println();
        System.out.println("== " + scenario + (mode.tls() == null ? "" : " (TLS)") + " ==");
        System.out.println(String.join(" | ", header));
        for (String[] row : rows) {
            System.out.println(String.join(" | ", row));
        }
        if (header[1].equals("msgs/s")) {
            printRatios(rows);
        }
        System.out.flush();
    }

    /** Loopflux against its peers: msgs/s and server CPU per message, as ratios (lines without " | ", which EchoChart skips). */
    private static void printRatios(List<String[]> rows) {
        Map<String, String[]> byImpl = new LinkedHashMap<>();
        for (String[] row : rows) {
            if (row.length == 5) {
                byImpl.put(row[0], row);
            }
        }
        String[][] pairs = {{"loopflux", "netty"}, {"reactor", "reactor-netty"}, {"reactor-map", "reactor-netty"}, {"loopflux", "reactor-netty"}};
        for (String[] pair : pairs) {
            String[] a = byImpl.get(pair[0]);
            String[] b = byImpl.get(pair[1]);
            if (a != null && b != null) {
                System.out.printf("ratio %s/%s: msgs/s %.2fx, server CPU us/msg %.2fx%n", pair[0], pair[1],
                        ratio(a[1], b[1]), ratio(a[4], b[4]));
            }
        }
    }

    private static double ratio(String a, String b) {
        double denominator = Double.parseDouble(b.replace(",", ""));
        return denominator == 0 ? Double.NaN : Double.parseDouble(a.replace(",", "")) / denominator;
    }

    /** A server in a child JVM, started from this jar. */
    static final class ServerProcess implements AutoCloseable {
        final Process process;
        final int port;
        private final BufferedReader out;
        private final OutputStream in;

        private ServerProcess(Process process) throws IOException {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            this.in = process.getOutputStream();
            String line = out.readLine();
            if (line == null || !line.startsWith("LISTENING ")) {
                throw new IOException("server did not start: " + line);
            }
            this.port = Integer.parseInt(line.substring("LISTENING ".length()).trim());
        }

        static ServerProcess start(String impl, Mode mode) throws IOException {
            return start(impl, mode, false);
        }

        /** {@code preTouch}: the heap's pages are touched at start, so that heap use adds no RSS (for {@code idle-warm}). */
        static ServerProcess start(String impl, Mode mode, boolean preTouch) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx1g"));
            if (preTouch) {
                command.add("-XX:+AlwaysPreTouch");
            }
            String extra = System.getProperty("loopflux.bench.serverJvmArgs", "").trim(); // -Xlog:gc, say
            if (!extra.isEmpty()) {
                command.addAll(List.of(extra.split("\\s+")));
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), EchoServerMain.class.getName(), "--impl", impl));
            if (mode.tls() != null) {
                command.add("--tls");
                command.add(mode.tls().keyStore.toString());
            }
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
            return new ServerProcess(builder.start());
        }

        long cpuNanos() {
            return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }

        long rssKb() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return -1;
        }

        /** {rssKb, heapBytes, heapCommittedBytes, rssAfterGcKb} as the server reports them (the heap after full GCs). */
        long[] stats() throws IOException {
            in.write("stats\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            String line = out.readLine();
            if (line == null || !line.startsWith("STATS ")) {
                throw new IOException("bad stats line: " + line);
            }
            String[] parts = line.split(" ");
            long[] stats = new long[parts.length - 1];
            for (int i = 1; i < parts.length; i++) {
                stats[i - 1] = Long.parseLong(parts[i].split("=")[1]);
            }
            return stats;
        }

        @Override
        public void close() throws Exception {
            in.close();
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}

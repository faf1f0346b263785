package dev.loopflux.bench.echo;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * One echo server in a process of its own, so that its CPU time and memory can be read apart
 * from the load client's. Prints {@code LISTENING <port>} when ready; then reads commands on
 * standard input: {@code stats} prints {@code STATS rssKb=<n> heapBytes=<n> heapCommittedBytes=<n>
 * rssAfterGcKb=<n>} (heap and the last RSS measured after full GCs); end of input stops it.
 *
 * <p>{@code java -cp loopflux-benchmarks.jar dev.loopflux.bench.echo.EchoServerMain --impl loopflux|reactor|reactor-map|netty|reactor-netty|nio [--tls KEYSTORE]}
 *
 * <p>{@code --tls} serves TLS with the key in {@code KEYSTORE}, a PKCS12 file made by
 * {@link EchoTls#generate()} (every implementation but {@code nio}).
 */
public final class EchoServerMain {

    /** What every server implementation offers the harness. */
    interface EchoServer extends AutoCloseable {
        int port();

        @Override
        void close() throws Exception;
    }

    private EchoServerMain() {
    }

    public static void main(String[] args) throws Exception {
        String impl = "loopflux";
        EchoTls tls = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--impl")) {
                impl = args[i + 1];
            } else if (args[i].equals("--tls")) {
                tls = EchoTls.load(Path.of(args[i + 1]));
            } else {
                throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        trimNativeHeap(); // the first use makes the platform MBean server: not between two measurements
        try (EchoServer server = start(impl, tls)) {
            System.out.println("LISTENING " + server.port());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("stats")) {
                    long rss = rssKb(); // before the GCs, which touch memory of their own
                    long heap = heapAfterGc();
                    long committed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
                    trimNativeHeap();
                    System.out.println("STATS rssKb=" + rss + " heapBytes=" + heap + " heapCommittedBytes=" + committed
                            + " rssAfterGcKb=" + rssKb());
                    System.out.flush();
                }
            }
        }
    }

    /** {@code tls} null: plain TCP. */
    static EchoServer start(String impl, EchoTls tls) throws Exception {
        if (tls != null && impl.equals("nio")) {
            throw new IllegalArgumentException("the bare NIO echo has no TLS; --tls works with loopflux, reactor, netty, reactor-netty");
        }
        return switch (impl) {
            case "loopflux" -> new LoopfluxEcho(tls);
            case "netty" -> new NettyEcho(tls);
            case "nio" -> new BareNioEcho();
            case "reactor" -> new ReactorApiEcho(tls);
            case "reactor-map" -> new ReactorApiEcho(tls, true);
            case "reactor-netty" -> new ReactorNettyEcho(tls);
            default -> throw new IllegalArgumentException("unknown --impl " + impl + " (loopflux, reactor, reactor-map, netty, reactor-netty, nio)");
        };
    }

    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /**
     * Gives the C library's free memory back to the system ({@code jcmd PID System.trim_native_heap}),
     * so that the RSS read next is memory in use, not what the JIT's arenas or a closed
     * connection's buffers left free inside malloc. A JDK without the command measures without it.
     */
    static void trimNativeHeap() {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "systemTrimNativeHeap", new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (JMException e) {
            System.err.println("cannot trim the native heap: " + e);
        }
    }

    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}

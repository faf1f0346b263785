package dev.loopflux.bench;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.core.net.UdpEndpoint;
import dev.loopflux.core.net.UdpOptions;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * UDP echo round trips per second: a Loopflux {@link UdpEndpoint} ({@code send(receive())}) against
 * Netty's {@link NioDatagramChannel}, each on one loop thread in a JVM of its own, under the same
 * load client (this process).
 *
 * <pre>
 * java -cp benchmarks/target/loopflux-benchmarks.jar dev.loopflux.bench.DatagramBench \
 *      [--impls loopflux,netty] [--inflight 1,32] [--size 64] [--seconds 10] [--warmup 3]
 * </pre>
 *
 * The client keeps {@code inflight} datagrams of {@code size} bytes outstanding on one connected
 * non-blocking socket, sending one for each reply. A round with no reply for 50 ms counts the
 * outstanding datagrams as lost and sends a fresh window. Server CPU per round trip is the server
 * process's CPU time over the measured window divided by the round trips in it, so the client's
 * share of the cores does not count against it.
 */
public final class DatagramBench {

    private DatagramBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of(
                "--impls", "loopflux,netty", "--inflight", "1,32", "--size", "64", "--seconds", "10", "--warmup", "3",
                "--serve", ""));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!options.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + options.keySet());
            }
            options.put(args[i], args[i + 1]);
        }
        if (!options.get("--serve").isEmpty()) {
            serve(options.get("--serve"));
            return;
        }
        int size = Integer.parseInt(options.get("--size"));
        Duration seconds = Duration.ofSeconds(Long.parseLong(options.get("--seconds")));
        Duration warmup = Duration.ofSeconds(Long.parseLong(options.get("--warmup")));
        for (String inflight : options.get("--inflight").split(",")) {
            List<String[]> rows = new ArrayList<>();
            for (String impl : options.get("--impls").split(",")) {
                try (ServerProcess server = ServerProcess.start(impl)) {
                    rows.add(measure(impl, server, Integer.parseInt(inflight), size, warmup, seconds));
                }
            }
            System.out.println();
            System.out.println("== UDP echo, " + inflight + " in flight, " + size + " B ==");
            System.out.println("impl | round trips/s | lost | server CPU us/round trip");
            for (String[] row : rows) {
                System.out.println(String.join(" | ", row));
            }
            System.out.flush();
        }
    }

    /** Columns: impl, round trips/s, lost datagrams, server CPU us per round trip. */
    static String[] measure(String impl, ServerProcess server, int inflight, int size, Duration warmup, Duration seconds)
            throws IOException {
        InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port);
        try (DatagramChannel channel = DatagramChannel.open(); Selector selector = Selector.open()) {
            channel.connect(target);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            ByteBuffer out = ByteBuffer.allocateDirect(size);
            ByteBuffer in = ByteBuffer.allocateDirect(65536);
            long start = System.nanoTime();
            long measureFrom = start + warmup.toNanos();
            long end = measureFrom + seconds.toNanos();
            long cpuFrom = -1;
            long done = 0;
            long lost = 0;
            int outstanding = 0;
            for (long now = start; now < end; now = System.nanoTime()) {
                if (cpuFrom < 0 && now >= measureFrom) {
                    cpuFrom = server.cpuNanos();
                    done = 0;
                    lost = 0;
                }
                while (outstanding < inflight) {
                    out.clear();
                    if (channel.write(out) == 0) {
                        break; // the socket's send buffer is full: wait for replies
                    }
                    outstanding++;
                }
                if (selector.select(50) == 0) {
                    lost += outstanding; // nothing came back in 50 ms: the window was dropped somewhere
                    outstanding = 0;
                    continue;
                }
                selector.selectedKeys().clear();
                for (;;) {
                    in.clear();
                    if (channel.read(in) <= 0) {
                        break;
                    }
                    done++;
                    outstanding = Math.max(0, outstanding - 1);
                }
            }
            long cpu = server.cpuNanos() - cpuFrom;
            return new String[] {impl,
                    String.format("%,.0f", done / (seconds.toNanos() / 1e9)),
                    String.format("%,d", lost),
                    String.format("%.3f", cpu / 1e3 / Math.max(1, done))};
        }
    }

    // ---- the server side, in its own JVM -------------------------------------------------------

    private static void serve(String impl) throws Exception {
        AutoCloseable server;
        int port;
        switch (impl) {
            case "loopflux" -> {
                Loop loop = Loop.create(LoopOptions.builder().name("bench-udp").build());
                UdpEndpoint echo = UdpEndpoint.bind(loop, new InetSocketAddress("127.0.0.1", 0), UdpOptions.defaults());
                echo.send(echo.receive()).subscribe(new Subscriber<>() {
                    @Override
                    public void onSubscribe(Subscription s) {
                        s.request(1);
                    }

                    @Override
                    public void onNext(Void v) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (!(t instanceof dev.loopflux.core.net.ConnectionClosedException)) { // closing ends the echo so
                            t.printStackTrace();
                        }
                    }

                    @Override
                    public void onComplete() {
                    }
                });
                port = echo.localAddress().getPort();
                server = () -> {
                    echo.close();
                    echo.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
                    loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
                };
            }
            case "netty" -> {
                EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
                Channel channel = new Bootstrap()
                        .group(group)
                        .channel(NioDatagramChannel.class)
                        .handler(new NettyEcho())
                        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
                port = ((InetSocketAddress) channel.localAddress()).getPort();
                server = () -> {
                    channel.close().sync();
                    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
                };
            }
            default -> throw new IllegalArgumentException("unknown impl " + impl + "; known: loopflux, netty");
        }
        try (server) {
            System.out.println("LISTENING " + port);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
            while (in.readLine() != null) {
                // end of input stops the server
            }
        }
    }

    /** Netty's UDP echo as its own example writes it: write each packet back to its sender, flush per read batch. */
    private static final class NettyEcho extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.write(new DatagramPacket(packet.content().retain(), packet.sender()));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            cause.printStackTrace();
        }
    }

    /** A server in a child JVM, started from this jar's class path. */
    static final class ServerProcess implements AutoCloseable {
        final Process process;
        final int port;

        private ServerProcess(Process process) throws IOException {
            this.process = process;
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("LISTENING ")) {
                System.err.println("server: " + line); // what the JVM's own flags print first (-XX:StartFlightRecording)
            }
            if (line == null) {
                throw new IOException("server did not start: its output ended before LISTENING");
            }
            this.port = Integer.parseInt(line.substring("LISTENING ".length()).trim());
        }

        static ServerProcess start(String impl) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx1g"));
            String extra = System.getProperty("loopflux.bench.serverJvmArgs", "").trim(); // a flight recording, say
            if (!extra.isEmpty()) {
                command.addAll(List.of(extra.split("\\s+")));
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), DatagramBench.class.getName(), "--serve", impl));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
            return new ServerProcess(builder.start());
        }

        long cpuNanos() {
            return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}

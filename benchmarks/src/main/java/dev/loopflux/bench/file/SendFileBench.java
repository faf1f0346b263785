package dev.loopflux.bench.file;

import dev.loopflux.core.Loop;
import dev.loopflux.core.Publishers;
import dev.loopflux.core.net.Connection;
import dev.loopflux.core.net.TcpOptions;
import dev.loopflux.core.net.TcpServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sendfile throughput over loopback: a server on one loop sends a whole file to each client that
 * connects, then closes; the client (a plain blocking socket on the harness thread) reads to the
 * end. Same client, same file, for both servers:
 *
 * <ul>
 *   <li>{@code loopflux}: {@code Connection.sendFile(path)} on a {@code Loop}, then {@code close()}.</li>
 *   <li>{@code netty}: {@code writeAndFlush(new DefaultFileRegion(file, 0, size))} on one NIO
 *   loop (Netty 4.2), then close: Netty's own zero-copy path.</li>
 * </ul>
 *
 * Options: {@code --size MiB} (512), {@code --rounds R} (5), {@code --servers loopflux,netty}.
 * The file is a temporary one, in the page cache after the warm-up round. Prints the median
 * MiB/s of the rounds per server.
 */
public final class SendFileBench {
    private SendFileBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        long size = Long.parseLong(opts.getOrDefault("size", "512")) << 20;
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "5"));
        String[] servers = opts.getOrDefault("servers", "loopflux,netty").split(",");
        Path file = Files.createTempFile("loopflux-sendfile", ".bin");
        try {
            FileReadBench.fill(file, size);
            Map<String, List<Double>> results = new LinkedHashMap<>();
            for (String name : servers) {
                try (Server server = start(name, file)) {
                    SocketAddress address = server.address();
                    for (int round = -1; round < rounds; round++) {
                        long start = System.nanoTime();
                        long got = fetch(address);
                        long nanos = System.nanoTime() - start;
                        if (got != size) {
                            throw new IllegalStateException(name + " sent " + got + " bytes of " + size);
                        }
                        if (round >= 0) {
                            results.computeIfAbsent(name, n -> new ArrayList<>()).add(size / 1048576.0 / (nanos / 1e9));
                        }
                    }
                }
            }
            System.out.printf("file %d MiB over loopback, median of %d rounds%n", size >> 20, rounds);
            for (Map.Entry<String, List<Double>> e : results.entrySet()) {
                double[] sorted = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                System.out.printf("%-10s %9.0f MiB/s%n", e.getKey(), sorted[sorted.length / 2]);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static long fetch(SocketAddress address) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(address, 10_000);
            socket.setSoTimeout(60_000);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[1 << 18];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                total += n;
            }
            return total;
        }
    }

    private interface Server extends AutoCloseable {
        SocketAddress address();
    }

    private static Server start(String name, Path file) throws Exception {
        switch (name) {
            case "loopflux": {
                Loop loop = Loop.create("sendfile");
                TcpServer server = TcpServer.bind(loop, new InetSocketAddress("127.0.0.1", 0), TcpOptions.defaults());
                Publishers.consume(server.connections(),
                        c -> Publishers.consume(c.sendFile(file), nothing -> { }).whenComplete((ok, error) -> c.close()));
                return new Server() {
                    @Override
                    public SocketAddress address() {
                        return server.localAddress();
                    }

                    @Override
                    public void close() throws Exception {
                        server.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
                        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
                    }
                };
            }
            case "netty": {
                EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
                long size = Files.size(file);
                Channel channel = new ServerBootstrap()
                        .group(group)
                        .channel(NioServerSocketChannel.class)
                        .childHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.writeAndFlush(new DefaultFileRegion(file.toFile(), 0, size))
                                        .addListener(ChannelFutureListener.CLOSE);
                            }

                            @Override
                            public boolean isSharable() {
                                return true;
                            }
                        })
                        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
                return new Server() {
                    @Override
                    public SocketAddress address() {
                        return channel.localAddress();
                    }

                    @Override
                    public void close() throws Exception {
                        channel.close().sync();
                        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
                    }
                };
            }
            default:
                throw new IllegalArgumentException("unknown server " + name + "; use loopflux or netty");
        }
    }
}

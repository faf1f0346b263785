package dev.loopflux.samples;

import dev.loopflux.core.IoHandler;
import dev.loopflux.core.IoRegistration;
import dev.loopflux.core.Loop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP echo written against the raw loop API: readiness in, a few bytes moved, return.
 * The networking issue replaces this with backpressured publishers; this shows what they sit on.
 */
final class EchoDemo {
    private static final int MESSAGE_SIZE = 64;

    private EchoDemo() {
    }

    /**
     * Runs {@code pings} round trips of 64 bytes between a server on {@code serverLoop} and a
     * client on {@code clientLoop}; returns each round trip in nanoseconds.
     */
    static long[] run(Loop serverLoop, Loop clientLoop, int pings) throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        try {
            serverLoop.register(server, SelectionKey.OP_ACCEPT, (registration, ops) -> {
                SocketChannel accepted = server.accept();
                if (accepted != null) {
                    serverLoop.register(accepted, SelectionKey.OP_READ, new EchoHandler());
                }
            }).get(5, TimeUnit.SECONDS);

            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            Pinger pinger = new Pinger(pings);
            IoRegistration registration = clientLoop.register(client, SelectionKey.OP_READ, pinger).get(5, TimeUnit.SECONDS);
            clientLoop.execute(() -> pinger.send(registration));
            try {
                return pinger.done.get(60, TimeUnit.SECONDS);
            } finally {
                // Closed on its loop, between two dispatches: closed from here, a readiness already
                // selected could still reach the pinger, whose read would then throw.
                CompletableFuture.runAsync(() -> {
                    try {
                        client.close();
                    } catch (IOException ignored) {
                        // closing; nothing left to do
                    }
                }, clientLoop).get(5, TimeUnit.SECONDS);
            }
        } finally {
            server.close();
        }
    }

    /**
     * Server side: reads what arrives and writes it back. While bytes wait to be written it
     * stops reading, so a client that does not read cannot make the server buffer more than
     * one buffer's worth.
     */
    private static final class EchoHandler implements IoHandler {
        private final ByteBuffer buffer = ByteBuffer.allocate(8192);

        @Override
        public void onReady(IoRegistration registration, int readyOps) throws IOException {
            SocketChannel channel = (SocketChannel) registration.channel();
            if ((readyOps & SelectionKey.OP_READ) != 0 && channel.read(buffer) < 0) {
                channel.close();
                return;
            }
            buffer.flip();
            channel.write(buffer);
            buffer.compact();
            if (buffer.position() > 0) {
                registration.interestOps(SelectionKey.OP_WRITE); // pending bytes: stop reading
            } else {
                registration.interestOps(SelectionKey.OP_READ);
            }
        }
    }

    /** Client side: sends one message, waits for all of it to come back, records the time, again. */
    private static final class Pinger implements IoHandler {
        final CompletableFuture<long[]> done = new CompletableFuture<>();
        private final long[] roundTrips;
        private final ByteBuffer out = ByteBuffer.allocate(MESSAGE_SIZE);
        private final ByteBuffer in = ByteBuffer.allocate(MESSAGE_SIZE);
        private int count;
        private long sentAt;

        Pinger(int pings) {
            roundTrips = new long[pings];
        }

        void send(IoRegistration registration) {
            try {
                out.clear();
                out.putLong(0, count);
                sentAt = System.nanoTime();
                ((SocketChannel) registration.channel()).write(out); // 64 bytes fit any socket buffer
            } catch (IOException e) {
                done.completeExceptionally(e);
            }
        }

        @Override
        public void onReady(IoRegistration registration, int readyOps) throws IOException {
            if (((SocketChannel) registration.channel()).read(in) < 0) {
                throw new IOException("server closed after " + count + " round trips");
            }
            if (in.hasRemaining()) {
                return; // part of the message; the rest comes with the next readiness
            }
            roundTrips[count++] = System.nanoTime() - sentAt;
            in.clear();
            if (count == roundTrips.length) {
                done.complete(roundTrips);
            } else {
                send(registration);
            }
        }

        @Override
        public void onDeregistered(IoRegistration registration, Throwable cause) {
            if (!done.isDone()) {
                done.completeExceptionally(cause != null ? cause : new IOException("deregistered"));
            }
        }
    }
}

package dev.loopflux.bench.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The floor: a hand-written single-thread NIO echo with one 16 KiB buffer per connection, no
 * framework at all. It stops reading while it has bytes it could not write.
 */
final class BareNioEcho implements EchoServerMain.EchoServer {
    private final Selector selector = Selector.open();
    private final ServerSocketChannel server = ServerSocketChannel.open();
    private final Thread thread;
    private volatile boolean running = true;

    BareNioEcho() throws IOException {
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::run, "bare-nio-echo");
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                selector.select(this::handle);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private void handle(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                SocketChannel c;
                while ((c = server.accept()) != null) {
                    c.configureBlocking(false);
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.register(selector, SelectionKey.OP_READ, ByteBuffer.allocate(16384));
                }
                return;
            }
            SocketChannel c = (SocketChannel) key.channel();
            ByteBuffer buffer = (ByteBuffer) key.attachment();
            if (key.isReadable() && c.read(buffer) < 0) {
                c.close();
                return;
            }
            buffer.flip();
            c.write(buffer);
            buffer.compact();
            key.interestOps(buffer.position() > 0 ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        } catch (IOException e) {
            try {
                key.channel().close();
            } catch (IOException ignored) {
                // dropping it anyway
            }
        }
    }

    @Override
    public int port() {
        return server.socket().getLocalPort();
    }

    @Override
    public void close() throws Exception {
        running = false;
        selector.wakeup();
        thread.join(5000);
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        selector.close();
    }
}

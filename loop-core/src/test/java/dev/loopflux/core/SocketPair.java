package dev.loopflux.core;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** Test fixture: two connected TCP channels on 127.0.0.1, both blocking until registered. */
final class SocketPair implements AutoCloseable {
    /** The side a test registers with a loop. */
    final SocketChannel local;
    /** The peer, driven by the test with blocking calls. */
    final SocketChannel peer;

    private SocketPair(SocketChannel local, SocketChannel peer) {
        this.local = local;
        this.peer = peer;
    }

    static SocketPair open() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel local = SocketChannel.open(server.getLocalAddress());
            SocketChannel peer = server.accept();
            return new SocketPair(local, peer);
        }
    }

    /** Writes {@code text} from the peer, blocking until all of it is sent. */
    void peerWrites(String text) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (buf.hasRemaining()) {
            peer.write(buf);
        }
    }

    /** Reads what is available on a non-blocking channel as ASCII; null at end of stream. */
    static String readAvailable(SocketChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int n = channel.read(buf);
        if (n < 0) {
            return null;
        }
        buf.flip();
        return StandardCharsets.US_ASCII.decode(buf).toString();
    }

    @Override
    public void close() throws IOException {
        try {
            local.close();
        } finally {
            peer.close();
        }
    }
}

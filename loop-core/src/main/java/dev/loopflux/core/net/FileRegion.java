package dev.loopflux.core.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * A range of an open file waiting in {@link Outbound}'s pending queue: the writer hands it to the
 * socket with {@link FileChannel#transferTo} (sendfile on Linux) when it reaches the head, that
 * is when every byte before it has been written. Its bytes stay in the page cache, not in the
 * heap, so they do not count towards the high-water mark.
 *
 * <p>Threading: loop thread only (it was opened on a pool thread and handed over by a task).
 */
final class FileRegion {
    final Path path;
    private final FileChannel file;
    /** Next byte of the file to send. */
    private long position;
    /** One past the last byte to send. */
    private final long end;

    FileRegion(Path path, FileChannel file, long position, long end) {
        this.path = path;
        this.file = file;
        this.position = position;
        this.end = end;
    }

    long remaining() {
        return end - position;
    }

    /**
     * Hands as much of the range to {@code socket} as it takes now (0 when its buffer is full).
     *
     * @throws FileSystemException naming the path if the file shrank below the range
     * @throws IOException from the socket or the file
     */
    long transferTo(WritableByteChannel socket) throws IOException {
        long n = file.transferTo(position, end - position, socket);
        if (n == 0 && file.size() <= position) {
            // transferTo returns 0 both when the socket is full and when the file has no byte at
            // position: without this check a file cut short would wait for OP_WRITE forever.
            throw new FileSystemException(path.toString(), null,
                    "shrank to " + file.size() + " bytes while being sent (" + (end - position) + " bytes still to send)");
        }
        position += n;
        return n;
    }

    /**
     * Reads the next bytes of the range into {@code dst} without moving past them: the caller
     * {@link #advance}s by what it used (TLS wraps them; the socket may take fewer).
     *
     * @throws FileSystemException naming the path if the file shrank below the range
     */
    int readAt(ByteBuffer dst) throws IOException {
        int n = file.read(dst, position);
        if (n <= 0 && dst.hasRemaining() && file.size() <= position) {
            throw new FileSystemException(path.toString(), null,
                    "shrank to " + file.size() + " bytes while being sent (" + (end - position) + " bytes still to send)");
        }
        return Math.max(n, 0);
    }

    void advance(long n) {
        position += n;
    }

    /** Closes the file; idempotent. */
    void close() {
        try {
            file.close();
        } catch (IOException e) {
            // read-only: nothing was lost
        }
    }
}

package dev.loopflux.core.net;

import java.nio.ByteBuffer;

/**
 * Per-thread scratch space for socket IO, so that reads and writes allocate nothing but the
 * chunks they hand out: one direct read buffer (read into, then copied out at the exact size
 * read) and one array for gathering writes. Only loop threads use it, one call at a time; a
 * user's callback never sees it.
 */
final class IoScratch {
    /** Buffers in one gathering write at most (Linux's IOV_MAX is 1024; 64 keeps the scan short). */
    static final int MAX_GATHER = 64;
    private static final ThreadLocal<IoScratch> SCRATCH = ThreadLocal.withInitial(IoScratch::new);

    private ByteBuffer read = ByteBuffer.allocateDirect(0);
    /** Cleared after each write so that it never keeps a user's buffer alive. */
    final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];

    static IoScratch get() {
        return SCRATCH.get();
    }

    /** The read buffer, cleared, with exactly {@code size} bytes of room. */
    ByteBuffer readBuffer(int size) {
        if (read.capacity() < size) {
            read = ByteBuffer.allocateDirect(size);
        }
        read.clear().limit(size);
        return read;
    }
}

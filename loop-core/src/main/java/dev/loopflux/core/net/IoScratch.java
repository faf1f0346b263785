package dev.loopflux.core.net;

import java.nio.ByteBuffer;

/**
 * Per-thread scratch space for socket IO, so that reads and writes allocate nothing but the
 * chunks they hand out: one direct read buffer (read into, then copied out at the exact size
 * read), one array for gathering writes, and spare spill buffers for pipes (an inbound sent as it
 * is, whose bytes no user code sees: they wait in spill buffers while the kernel refuses them).
 * Only loop threads use it, one call at a time; a user's callback never sees it.
 */
final class IoScratch {
    /** Buffers in one gathering write at most (Linux's IOV_MAX is 1024; 64 keeps the scan short). */
    static final int MAX_GATHER = 64;
    private static final ThreadLocal<IoScratch> SCRATCH = ThreadLocal.withInitial(IoScratch::new);

    private ByteBuffer read = ByteBuffer.allocateDirect(0);
    /** Cleared after each write so that it never keeps a user's buffer alive. */
    final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];

    /** Size of a spill buffer: where a pipe's bytes wait while the kernel refuses them (see {@code Outbound.pipe}). */
    static final int SPILL_SIZE = 64 * 1024;
    /**
     * Spill buffers a loop makes, at most: 4 MiB of direct memory, made as needed and kept for
     * reuse, never dropped (a dropped direct buffer's memory comes back only after a GC). Past it,
     * pipes copy into heap buffers, as sends of items do, so a loop thread never asks for direct
     * memory beyond that (running short means {@code System.gc()} and a wait in the JDK).
     */
    static final int MAX_SPILLS_IN_USE = 64;
    /** Spill buffers made and given back: every one is kept, so this and those in use stay under the cap together. */
    private final java.util.ArrayDeque<ByteBuffer> spareSpills = new java.util.ArrayDeque<>();
    private int spillsInUse;

    // TLS (heap buffers: the JDK's engine is fastest on arrays), made on first use.
    private ByteBuffer tlsIn = EMPTY;
    private boolean tlsInBusy;
    private ByteBuffer tlsOut = EMPTY;
    private ByteBuffer tlsApp = EMPTY;
    private ByteBuffer tlsFile;
    /**
     * Heap buffers a connection kept records in and emptied since: they take the scratch buffers'
     * place when those change hands (see {@link #keepTlsIn}). At most {@link #MAX_SPARES}.
     */
    private final java.util.ArrayDeque<ByteBuffer> spares = new java.util.ArrayDeque<>();
    private static final int MAX_SPARES = 16;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

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

    /**
     * A spill buffer, cleared (direct, so the kernel takes it with no copy of the JDK's), or null
     * when the loop has {@link #MAX_SPILLS_IN_USE} out.
     */
    ByteBuffer takeSpill() {
        if (spillsInUse == MAX_SPILLS_IN_USE) {
            return null;
        }
        ByteBuffer spill = spareSpills.pollLast();
        spill = spill != null ? spill.clear() : ByteBuffer.allocateDirect(SPILL_SIZE);
        spillsInUse++;
        return spill;
    }

    /** A spill buffer from {@link #takeSpill}, written out or dropped by its connection: kept for the next. */
    void giveBackSpill(ByteBuffer spill) {
        spillsInUse--;
        spareSpills.addLast(spill);
    }

    /** Spill buffers out now: for tests. */
    int spillsInUse() {
        return spillsInUse;
    }

    /**
     * The TLS input buffer, cleared, with at least {@code size} bytes of room. It stays claimed
     * until {@link #releaseTlsIn}: records kept in it across a user's callback are safe, since a
     * nested claim (a connection started from inside {@code onNext}) gets a buffer of its own.
     */
    ByteBuffer claimTlsIn(int size) {
        if (tlsInBusy) {
            return ByteBuffer.allocate(size);
        }
        if (tlsIn.capacity() < size) {
            tlsIn = ByteBuffer.allocate(size);
        }
        tlsInBusy = true;
        return tlsIn.clear();
    }

    /** Gives back a buffer from {@link #claimTlsIn}, or one a connection kept and emptied. */
    void releaseTlsIn(ByteBuffer buffer) {
        if (buffer == tlsIn) {
            tlsInBusy = false;
        } else {
            giveBack(buffer);
        }
    }

    /**
     * A connection keeps records it read in {@code buffer} (claimed with {@link #claimTlsIn}, or
     * its own): the buffer becomes the connection's, and a spare becomes the scratch buffer.
     */
    ByteBuffer keepTlsIn(ByteBuffer buffer) {
        if (buffer == tlsIn) {
            tlsIn = spare(buffer.capacity());
            tlsInBusy = false;
        }
        return buffer;
    }

    /** As {@link #keepTlsIn}, for records the kernel did not take: {@code buffer} is {@link #tlsOut}'s. */
    ByteBuffer keepTlsOut(ByteBuffer buffer) {
        if (buffer == tlsOut) {
            tlsOut = spare(buffer.capacity());
        }
        return buffer;
    }

    /** A buffer a connection kept records in, now empty. */
    void giveBack(ByteBuffer buffer) {
        if (spares.size() < MAX_SPARES) {
            spares.addLast(buffer.clear());
        }
    }

    private ByteBuffer spare(int capacity) {
        ByteBuffer spare = spares.pollLast();
        return spare != null && spare.capacity() >= capacity ? spare : ByteBuffer.allocate(capacity);
    }

    /** The buffer records are wrapped into, cleared, with at least {@code size} bytes of room. */
    ByteBuffer tlsOut(int size) {
        if (tlsOut.capacity() < size) {
            tlsOut = ByteBuffer.allocate(size);
        }
        return tlsOut.clear();
    }

    /** The buffer records are unwrapped into, cleared, with at least {@code size} bytes of room. */
    ByteBuffer tlsApp(int size) {
        if (tlsApp.capacity() < size) {
            tlsApp = ByteBuffer.allocate(size);
        }
        return tlsApp.clear();
    }

    /** A file's next bytes, on their way to be wrapped: one record's worth. */
    ByteBuffer tlsFile() {
        if (tlsFile == null) {
            tlsFile = ByteBuffer.allocate(16 * 1024);
        }
        return tlsFile.clear();
    }
}

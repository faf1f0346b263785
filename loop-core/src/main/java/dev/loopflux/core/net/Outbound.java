package dev.loopflux.core.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;

/**
 * The write side of a {@link TcpConnection}: sends in order, one {@link SendOperation} active at
 * a time, its buffers queued in {@link #pending} and written with gathering writes.
 *
 * <p>{@link #pending} holds, in order, the buffers not yet fully written, the {@link FileRegion}s
 * of file sends (handed to the socket with {@code transferTo} once at the head: every byte before
 * them is written), the operation of each send whose upstream completed (it completes when the
 * writer passes it: every byte before it has been taken by the kernel), and {@link #SHUTDOWN}
 * where the output is to be shut down.
 *
 * <p>Memory bound: an operation requests one buffer at a time and only while
 * {@link #pendingBytes} is under the high-water mark, so pending bytes never exceed the mark
 * plus one buffer. A file region's bytes are in the page cache, not the heap: they do not count.
 * {@code OP_WRITE} is wanted only while the kernel refused some bytes.
 *
 * <p>Threading: loop thread only.
 */
final class Outbound {
    /** Marker in {@link #pending}: shut the output down here. */
    private static final Object SHUTDOWN = new Object();
    /** What {@link #pipe} did with the bytes. */
    static final int NOT_PIPED = 0, WRITTEN = 1, SPILLED = 2;

    final TcpConnection connection;
    private final int highWaterMark;
    /** Buffers, file regions, completed sends and the shutdown marker, in write order; made on first use. */
    private ArrayDeque<Object> pending;
    /** Bytes of the buffers in {@link #pending} not yet written. */
    private long pendingBytes;
    /** The loop's spill buffers among {@link #pending}, in the same order; made on first use. */
    private ArrayDeque<ByteBuffer> spills;
    /** The send whose upstream we are reading from now. */
    private SendOperation active;
    /** Sends (and the shutdown marker) waiting their turn; made on first use. */
    private ArrayDeque<Object> waiting;
    /** The kernel refused bytes: wait for OP_WRITE before writing again. */
    private boolean writeBlocked;
    private boolean flushing;
    private boolean flushAgain;
    private boolean shutdownRequested;
    private boolean outputShut;
    private Throwable closedCause;

    Outbound(TcpConnection connection) {
        this.connection = connection;
        this.highWaterMark = connection.options.writeHighWaterMark();
    }

    boolean wantsWrite() {
        return writeBlocked;
    }

    boolean isOutputShut() {
        return outputShut;
    }

    long pendingBytes() {
        return pendingBytes;
    }

    /** Any thread: a subscriber to {@link Connection#send}'s publisher arrived. */
    void subscribe(Publisher<ByteBuffer> data, Subscriber<? super Void> downstream) {
        java.util.Objects.requireNonNull(downstream, "subscriber");
        enqueue(() -> new SendOperation(this, data, downstream), downstream);
    }

    /** Any thread: a subscriber to {@link Connection#sendFile}'s publisher arrived. */
    void subscribe(FileSend file, Subscriber<? super Void> downstream) {
        java.util.Objects.requireNonNull(downstream, "subscriber");
        enqueue(() -> new SendOperation(this, file, downstream), downstream);
    }

    /** Makes the send on the loop, where it is queued behind the sends before it. */
    private void enqueue(java.util.function.Supplier<SendOperation> send, Subscriber<? super Void> downstream) {
        if (connection.loop.inLoop()) {
            subscribeNow(send.get(), downstream);
            return;
        }
        try {
            connection.loop.execute(() -> subscribeNow(send.get(), downstream));
        } catch (RejectedExecutionException e) {
            TcpConnection.reject(downstream, new ConnectionClosedException("connection to " + connection.peer() + " closed: its loop shut down"));
        }
    }

    private void subscribeNow(SendOperation op, Subscriber<? super Void> downstream) {
        downstream.onSubscribe(op);
        if (op.isDone()) {
            return; // cancelled from onSubscribe
        }
        if (closedCause != null) {
            op.fail(closedCause);
        } else if (shutdownRequested) {
            op.fail(new ConnectionClosedException("output to " + connection.peer() + " is shut down"));
        } else if (active == null && (waiting == null || waiting.isEmpty())) {
            activate(op);
        } else {
            waiting().add(op);
        }
    }

    void shutdownOutput() {
        if (closedCause != null || shutdownRequested) {
            return;
        }
        shutdownRequested = true;
        if (active == null && (waiting == null || waiting.isEmpty())) {
            pend(SHUTDOWN);
            flush();
        } else {
            waiting().add(SHUTDOWN);
        }
    }

    private void activate(SendOperation op) {
        active = op;
        op.start();
    }

    /** The active send is finished with its upstream: start the next one waiting. */
    private void activateNext() {
        active = null;
        while (waiting != null && !waiting.isEmpty()) {
            Object next = waiting.poll();
            if (next == SHUTDOWN) {
                pend(SHUTDOWN);
                flush();
            } else if (!((SendOperation) next).isDone()) {
                activate((SendOperation) next);
                return;
            }
        }
    }

    // ---- from the active send's upstream (loop thread) --------------------------------------

    void onUpstreamNext(SendOperation op, ByteBuffer buffer) {
        op.received();
        if (op != active || closedCause != null) {
            return; // cancelled, or closed: the buffer is dropped
        }
        if (buffer.hasRemaining()) {
            pendingBytes += buffer.remaining();
            pend(buffer);
            flush();
        }
        requestMore(op);
    }

    void onUpstreamComplete(SendOperation op) {
        if (op != active) {
            return;
        }
        pend(op); // completes when the writer gets past it
        flush();
        activateNext();
    }

    /** The file of the active file send is open: queue it whole, it is sent when it reaches the head. */
    void onFileOpened(SendOperation op, FileRegion region) {
        if (op != active || closedCause != null) {
            region.close(); // cancelled or closed while the file was being opened
            return;
        }
        pend(region);
        pend(op);
        flush();
        activateNext();
    }

    void onUpstreamError(SendOperation op, Throwable error) {
        if (op != active) {
            return;
        }
        op.fail(error); // bytes it already gave stay queued and are written
        activateNext();
    }

    /** The send's subscriber cancelled it. */
    void cancelled(SendOperation op) {
        if (op == active) {
            activateNext();
        } else if (waiting != null) {
            waiting.remove(op);
        }
    }

    /**
     * This connection's loop thread (the caller checks): the inbound that {@code op} reads, on the
     * same loop, hands it {@code bytes}, the loop's read
     * buffer, which no user code sees, in place of an item. When nothing is ahead of them (this
     * send is the active one, nothing is pending, the socket is not full) they are written now,
     * straight from that buffer. What the kernel refuses, or all of them when something is ahead,
     * is copied into the loop's spill buffers and queued as an item would be (the spill buffers go
     * back to the loop once written). Not on a TLS connection: its bytes must be wrapped.
     *
     * @return {@link #NOT_PIPED} if nothing was done and the bytes must go the usual way, as an
     *         item; {@link #WRITTEN} if all were written (or the write failed and closed the
     *         connection, which fails the send and cancels its upstream); {@link #SPILLED} if some
     *         were queued: they stand for an item received, and were counted as one
     */
    int pipe(SendOperation op, ByteBuffer bytes) {
        if (op != active || closedCause != null || connection.tls != null) {
            return NOT_PIPED;
        }
        if (!writeBlocked && !flushing && (pending == null || pending.isEmpty())) {
            try {
                if (connection.channel.write(bytes) > 0) {
                    connection.didWrite();
                }
            } catch (IOException e) {
                connection.closeWith(Peers.translate(e, "write to", connection.peer()));
                return WRITTEN;
            }
            if (!bytes.hasRemaining()) {
                return WRITTEN;
            }
            writeBlocked = true; // the socket buffer is full: the rest waits for OP_WRITE
            connection.updateInterest();
        }
        spill(bytes);
        op.received();
        flush();
        requestMore(op);
        return SPILLED;
    }

    /**
     * Queues a copy of {@code bytes}: into the room left in the last spill buffer, if it is last in
     * line, then into new ones. A few bytes with no spill buffer to append to (under a sixteenth
     * of one), or any bytes once the loop has {@link IoScratch#MAX_SPILLS_IN_USE} out, get a heap
     * buffer of their size instead. While the pipe is the active send nothing else is queued
     * behind its bytes, so its spill buffers fill one after the other and are full but for the
     * last: a connection's spill memory stays within one buffer of its pending bytes, and a loop
     * never has more than its cap of them out.
     */
    private void spill(ByteBuffer bytes) {
        ByteBuffer tail = spills == null ? null : spills.peekLast();
        if (tail != null && pending.peekLast() == tail) {
            pendingBytes += append(tail, bytes);
        }
        IoScratch scratch = IoScratch.get();
        while (bytes.hasRemaining()) {
            ByteBuffer spill = bytes.remaining() < IoScratch.SPILL_SIZE / 16 ? null : scratch.takeSpill();
            if (spill == null) {
                int n = bytes.remaining();
                pend(ByteBuffer.allocate(n).put(bytes).flip());
                pendingBytes += n;
                return;
            }
            if (spills == null) {
                spills = new ArrayDeque<>(4);
            }
            spills.add(spill);
            pend(spill);
            pendingBytes += append(spill.limit(0), bytes);
        }
    }

    /** Copies as much of {@code bytes} as fits after {@code spill}'s limit, and moves the limit past it; returns how many. */
    private static int append(ByteBuffer spill, ByteBuffer bytes) {
        int end = spill.limit();
        int n = Math.min(spill.capacity() - end, bytes.remaining());
        spill.limit(end + n).put(end, bytes, bytes.position(), n);
        bytes.position(bytes.position() + n);
        return n;
    }

    /** Asks the active send's upstream for one more buffer, if there is room under the mark. */
    void requestMore(SendOperation op) {
        if (op == active && closedCause == null && pendingBytes < highWaterMark) {
            op.requestOne();
        }
    }

    // ---- writing -------------------------------------------------------------------------

    /** OP_WRITE fired: the kernel has room again. */
    void writable() {
        writeBlocked = false;
        flush();
    }

    /**
     * Writes what is pending until done or the kernel refuses more. Re-entrant calls (a
     * completion callback that sends again) only ask the running flush to go round again.
     */
    void flush() {
        if (flushing) {
            flushAgain = true;
            return;
        }
        TlsLayer tls = connection.tls;
        if (writeBlocked || ((pending == null || pending.isEmpty()) && (tls == null || !tls.wantsWrite()))) {
            return;
        }
        flushing = true;
        try {
            do {
                flushAgain = false;
                if (tls == null) {
                    writePending();
                } else {
                    writePendingTls(tls);
                }
            } while (flushAgain && !writeBlocked && closedCause == null);
        } finally {
            flushing = false;
        }
        connection.updateInterest();
        if (active != null) {
            requestMore(active);
        }
    }

    private void writePending() {
        ByteBuffer[] gather = IoScratch.get().gather;
        while (closedCause == null) {
            passWritten();
            if (pending.isEmpty() || closedCause != null) {
                return;
            }
            if (pending.peekFirst() instanceof FileRegion region) {
                if (!transfer(region)) {
                    return;
                }
                continue;
            }
            int count = gatherBuffers(gather);
            long written;
            try {
                written = count == 1 ? connection.channel.write(gather[0]) : connection.channel.write(gather, 0, count);
            } catch (IOException e) {
                connection.closeWith(Peers.translate(e, "write to", connection.peer()));
                return;
            } finally {
                Arrays.fill(gather, 0, count, null); // never keep a user's buffer alive
            }
            if (written > 0) {
                pendingBytes -= written;
                connection.didWrite();
            }
            passWritten();
            if (!pending.isEmpty() && pending.peekFirst() instanceof ByteBuffer head && head.hasRemaining()) {
                writeBlocked = true; // the socket buffer is full: wait for OP_WRITE
                return;
            }
        }
    }

    /**
     * Puts the buffers at the head of {@link #pending} in {@code gather}, up to the first file
     * region or shutdown marker (completed sends in between are passed over: they complete once
     * the writer gets past them).
     *
     * @return how many
     */
    private int gatherBuffers(ByteBuffer[] gather) {
        int count = 0;
        for (Object item : pending) {
            if (item == SHUTDOWN || item instanceof FileRegion) {
                break;
            }
            if (item instanceof ByteBuffer buffer) {
                gather[count++] = buffer;
                if (count == gather.length) {
                    break;
                }
            }
        }
        return count;
    }

    /**
     * {@link #writePending()} through TLS: buffers are wrapped into records (a few per system
     * call), a file's bytes are read and wrapped, the shutdown marker sends {@code close_notify}
     * before the socket's output is shut. Sends complete, and the output is shut, only once the
     * records before them were taken by the kernel. Nothing is wrapped until the handshake is done.
     */
    private void writePendingTls(TlsLayer tls) {
        ByteBuffer[] gather = IoScratch.get().gather;
        while (closedCause == null) {
            int count = 0;
            try {
                if (!tls.flushNetOut()) {
                    writeBlocked = true; // the socket buffer is full: wait for OP_WRITE
                    return;
                }
                if (pending == null) {
                    return;
                }
                passWritten();
                if (pending.isEmpty() || closedCause != null || tls.isHandshaking()) {
                    return;
                }
                Object head = pending.peekFirst();
                if (head instanceof FileRegion region) {
                    tls.wrapFile(region);
                    continue;
                }
                if (head == SHUTDOWN) {
                    tls.queueCloseNotify(); // passWritten shuts the output once it is flushed
                    continue;
                }
                count = gatherBuffers(gather);
                long consumed = tls.wrapAndWrite(gather, count);
                pendingBytes -= consumed;
                if (consumed == 0 && !tls.wantsWrite()) {
                    connection.closeWith(new ConnectionClosedException("TLS session with " + connection.peer()
                            + " is closed: the bytes cannot be sent"));
                    return;
                }
            } catch (javax.net.ssl.SSLException e) {
                connection.closeWith(new TlsException("TLS with " + connection.peer() + " failed: " + TlsLayer.reason(e), e));
                return;
            } catch (java.nio.file.FileSystemException e) {
                connection.closeWith(e); // the file was cut short: the peer would get a truncated stream
                return;
            } catch (IOException e) {
                connection.closeWith(Peers.translate(e, "write to", connection.peer()));
                return;
            } finally {
                Arrays.fill(gather, 0, count, null); // never keep a user's buffer alive
            }
        }
    }

    /**
     * Hands the region at the head to the socket. False when the writer must stop: the socket is
     * full (wait for OP_WRITE) or the connection failed.
     */
    private boolean transfer(FileRegion region) {
        long written;
        try {
            written = region.transferTo(connection.channel);
        } catch (java.nio.file.FileSystemException e) {
            connection.closeWith(e); // the file was cut short: the peer would get a truncated stream
            return false;
        } catch (IOException e) {
            connection.closeWith(Peers.translate(e, "sendfile of " + region.path + " to", connection.peer()));
            return false;
        }
        if (written > 0) {
            connection.didWrite();
        } else if (region.remaining() > 0) {
            writeBlocked = true; // the socket buffer is full: wait for OP_WRITE
            return false;
        }
        return true;
    }

    /** Drops written buffers and regions from the head, completing the sends and the shutdown found there. */
    private void passWritten() {
        Object head;
        while ((head = pending.peekFirst()) != null) {
            if (head instanceof ByteBuffer buffer) {
                if (buffer.hasRemaining()) {
                    return;
                }
                pending.pollFirst();
                if (spills != null && spills.peekFirst() == buffer) {
                    IoScratch.get().giveBackSpill(spills.pollFirst());
                }
            } else if (head instanceof FileRegion region) {
                if (region.remaining() > 0) {
                    return;
                }
                pending.pollFirst();
                region.close();
            } else if (head == SHUTDOWN) {
                if (connection.tls != null && !connection.tls.closeNotifyFlushed()) {
                    return; // close_notify first
                }
                pending.pollFirst();
                shutdownNow();
            } else {
                pending.pollFirst();
                ((SendOperation) head).complete();
            }
        }
    }

    private void shutdownNow() {
        try {
            connection.channel.shutdownOutput();
        } catch (IOException e) {
            connection.closeWith(Peers.translate(e, "shutdown of output to", connection.peer()));
            return;
        }
        outputShut = true;
        connection.halfClosed();
    }

    private void pend(Object item) {
        if (pending == null) {
            pending = new ArrayDeque<>(8);
        }
        pending.add(item);
    }

    private ArrayDeque<Object> waiting() {
        if (waiting == null) {
            waiting = new ArrayDeque<>(4);
        }
        return waiting;
    }

    /** The connection closed: every send not yet complete fails with {@code cause}. */
    void closed(Throwable cause) {
        closedCause = cause;
        pendingBytes = 0;
        writeBlocked = false;
        if (spills != null) {
            IoScratch scratch = IoScratch.get();
            for (ByteBuffer spill; (spill = spills.poll()) != null; ) {
                scratch.giveBackSpill(spill);
            }
        }
        if (pending != null) {
            Object item;
            while ((item = pending.poll()) != null) {
                if (item instanceof SendOperation op) {
                    op.fail(cause);
                } else if (item instanceof FileRegion region) {
                    region.close();
                }
            }
        }
        SendOperation current = active;
        active = null;
        if (current != null) {
            current.fail(cause);
        }
        if (waiting != null) {
            Object item;
            while ((item = waiting.poll()) != null) {
                if (item instanceof SendOperation op) {
                    op.fail(cause);
                }
            }
        }
    }
}

package dev.loopflux.core.file;

import dev.loopflux.core.BlockingPool;
import dev.loopflux.core.Loop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One subscription to {@link FileIo#read}: opens the file on the pool, then issues positional
 * reads of one chunk each, as many as the subscriber's outstanding demand allows and at most
 * {@link ReadOptions#maxInFlight()} at once, and delivers them in file order on the loop.
 *
 * <p>Reads may finish out of order; {@link #inFlight} keeps them in file order and only its
 * head is delivered, once complete. The file is closed on the loop when the subscription is
 * over and no read is running ({@link #running} is 0), so close never waits for a pool thread.
 *
 * <p>Threading: every field is touched on the loop thread only. A {@link Chunk} is filled on a
 * pool thread and handed back with {@link Loop#execute}, which orders the two.
 */
final class FileRead implements Subscription {
    private final Loop loop;
    private final Path path;
    private final ReadOptions options;
    private final BlockingPool pool;
    private Subscriber<? super ByteBuffer> downstream;
    /** Null until opened; null again once closed. */
    private FileChannel channel;
    /** Elements requested and not yet delivered; {@code Long.MAX_VALUE} means unbounded. */
    private long demand;
    /** Where the next read starts. */
    private long nextPosition;
    /** Bytes not yet asked for: the range left, as of the size the file had when opened. */
    private long left;
    /** Reads issued and not yet delivered, in file order. */
    private final ArrayDeque<Chunk> inFlight = new ArrayDeque<>();
    /** Reads (and the open) running on the pool now: the file is closed only when this is 0. */
    private int running;
    /** A terminal signal went out or the subscriber cancelled: no more signals, no more reads. */
    private boolean finished;
    /** Most reads ever in flight at once; for tests. */
    int peakInFlight;

    private FileRead(Loop loop, Path path, ReadOptions options, Subscriber<? super ByteBuffer> downstream) {
        this.loop = loop;
        this.path = path;
        this.options = options;
        this.pool = options.pool();
        this.downstream = downstream;
    }

    static void subscribe(Loop loop, Path path, ReadOptions options, Subscriber<? super ByteBuffer> subscriber) {
        java.util.Objects.requireNonNull(subscriber, "subscriber"); // §1.9
        FileRead read = new FileRead(loop, path, options, subscriber);
        if (loop.inLoop()) {
            read.begin();
            return;
        }
        try {
            loop.execute(read::begin);
        } catch (RejectedExecutionException e) {
            read.rejectOffLoop(e);
        }
    }

    /** The loop is gone: signal on the caller's thread, the only one left. */
    private void rejectOffLoop(RejectedExecutionException e) {
        downstream.onSubscribe(this);
        terminate().onError(FileErrors.translate(e, path, "cannot read: loop " + loop.name() + " is shut down"));
    }

    /** Loop thread: onSubscribe, then open on the pool (an open error is signalled without demand). */
    private void begin() {
        downstream.onSubscribe(this);
        if (finished) {
            return;
        }
        running++;
        try {
            pool.execute(this::open);
        } catch (RejectedExecutionException e) {
            running--;
            fail(FileErrors.translate(e, path, "cannot open for reading"));
        }
    }

    /** Pool thread. */
    private void open() {
        FileChannel ch = null;
        long size;
        IOException error = null;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (attributes.isDirectory()) {
                throw new FileSystemException(path.toString(), null, "is a directory");
            }
            // A device has no meaningful size, and /proc files say 0 whatever they hold: read
            // those until a read finds the end (for a really empty file, one read, on demand).
            long reported = attributes.isRegularFile() ? ch.size() : 0;
            size = reported > 0 ? reported : -1;
        } catch (IOException e) {
            FileErrors.closeQuietly(ch, e);
            ch = null;
            size = 0;
            error = e;
        }
        FileChannel opened = ch;
        long openedSize = size;
        IOException openError = error;
        handBack(() -> opened(opened, openedSize, openError), opened);
    }

    /** Loop thread. */
    private void opened(FileChannel ch, long size, IOException error) {
        running--;
        if (error != null) {
            fail(FileErrors.translate(error, path, "cannot open for reading"));
            return;
        }
        channel = ch;
        if (finished) {
            closeIfIdle(); // cancelled while opening
            return;
        }
        nextPosition = options.position();
        left = size < 0 ? options.length() : Math.min(options.length(), Math.max(0, size - nextPosition));
        issueReads();
    }

    @Override
    public void request(long n) {
        if (!loop.inLoop()) {
            onLoop(() -> request(n));
            return;
        }
        if (finished) {
            return;
        }
        if (n <= 0) {
            fail(new IllegalArgumentException("§3.9 violated: request(" + n + ") reading " + path + "; it must be positive"));
            return;
        }
        long d = demand + n;
        demand = d < 0 ? Long.MAX_VALUE : d;
        issueReads();
    }

    /** Stops reading; the file is closed once the reads already running return. */
    @Override
    public void cancel() {
        if (!loop.inLoop()) {
            onLoop(this::cancel);
            return;
        }
        if (!finished) {
            terminate();
            closeIfIdle();
        }
    }

    /** Loop thread: issues reads while there is demand not yet covered and room in flight. */
    private void issueReads() {
        if (channel == null || finished) {
            return;
        }
        if (left == 0 && inFlight.isEmpty()) {
            complete();
            return;
        }
        int chunkSize = options.chunkSize();
        while (left > 0 && inFlight.size() < options.maxInFlight() && inFlight.size() < demand) {
            int size = (int) Math.min(chunkSize, left);
            Chunk chunk = new Chunk(this, channel, nextPosition, size);
            try {
                pool.execute(chunk);
            } catch (RejectedExecutionException e) {
                fail(FileErrors.translate(e, path, "cannot read at position " + nextPosition));
                return;
            }
            inFlight.add(chunk);
            running++;
            nextPosition += size;
            left -= size;
            peakInFlight = Math.max(peakInFlight, inFlight.size());
        }
    }

    /** Loop thread: a read returned; deliver what is complete at the head, in order. */
    private void readDone(Chunk done) {
        running--;
        done.complete = true;
        Chunk head;
        while (!finished && (head = inFlight.peekFirst()) != null && head.complete) {
            inFlight.pollFirst();
            if (head.error != null) {
                fail(FileErrors.translate(head.error, path, "read at position " + head.position + " failed"));
                break;
            }
            ByteBuffer buffer = head.buffer.flip();
            boolean ended = buffer.remaining() < head.size; // the file is shorter than when opened
            if (buffer.hasRemaining()) {
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                downstream.onNext(buffer);
            }
            if (ended && !finished) {
                inFlight.clear(); // past the end: whatever they read is not delivered
                left = 0;
            }
        }
        if (finished) {
            closeIfIdle();
        } else {
            issueReads();
        }
    }

    private void complete() {
        Subscriber<? super ByteBuffer> s = terminate();
        closeIfIdle(); // no read runs here: the file is closed before onComplete
        s.onComplete();
    }

    private void fail(Throwable error) {
        if (finished) {
            return;
        }
        Subscriber<? super ByteBuffer> s = terminate();
        closeIfIdle();
        s.onError(error);
    }

    private Subscriber<? super ByteBuffer> terminate() {
        Subscriber<? super ByteBuffer> s = downstream;
        finished = true;
        downstream = null; // §3.13
        demand = 0;
        inFlight.clear();
        return s;
    }

    /** Closes the file if the subscription is over and no pool thread uses the channel. */
    private void closeIfIdle() {
        if (finished && running == 0 && channel != null) {
            FileErrors.closeQuietly(channel, null);
            channel = null;
        }
    }

    /**
     * Pool thread: runs {@code action} on the loop. If the loop has shut down there is no thread
     * to signal on; the file is closed here so that it is not left open.
     */
    private void handBack(Runnable action, FileChannel ch) {
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            FileErrors.closeQuietly(ch, null);
        }
    }

    private void onLoop(Runnable action) {
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            // The loop shut down: nothing more can be signalled, and its reads closed the file.
        }
    }

    /** One positional read of up to {@link #size} bytes, filled on a pool thread. */
    private static final class Chunk implements Runnable {
        private final FileRead owner;
        private final FileChannel channel;
        final long position;
        final int size;
        final ByteBuffer buffer;
        /** Set on the pool thread, read on the loop after the hand-back. */
        IOException error;
        /** Loop thread: the read returned. */
        boolean complete;

        Chunk(FileRead owner, FileChannel channel, long position, int size) {
            this.owner = owner;
            this.channel = channel;
            this.position = position;
            this.size = size;
            this.buffer = ByteBuffer.allocate(size);
        }

        @Override
        public void run() {
            try {
                // A read may return fewer bytes than asked before the end: go on until full or at the end.
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, position + buffer.position()) < 0) {
                        break;
                    }
                }
            } catch (IOException e) {
                error = e;
            }
            owner.handBack(() -> owner.readDone(this), channel);
        }
    }
}

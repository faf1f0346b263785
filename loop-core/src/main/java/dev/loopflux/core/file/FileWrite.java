package dev.loopflux.core.file;

import dev.loopflux.core.BlockingPool;
import dev.loopflux.core.Loop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One subscription to {@link FileIo#write}: opens the file on the pool, then subscribes to the
 * data and writes it one buffer at a time: a buffer is requested only once the write of the one
 * before has returned, so the heap holds at most one buffer of the data. At the end the file is
 * forced (if asked) and closed on the pool, then the count is emitted.
 *
 * <p>Threading: every field is touched on the loop thread only; the data's signals, which may
 * come from any thread, and the pool's results hop onto it. The channel is used by at most one
 * pool task at a time ({@link #running} is 0 or 1), and closed on the loop only when none runs.
 */
final class FileWrite implements Subscriber<ByteBuffer>, Subscription {
    private final Loop loop;
    private final Path path;
    private final Publisher<ByteBuffer> data;
    private final WriteOptions options;
    private final BlockingPool pool;
    private Subscriber<? super Long> downstream;
    private Subscription upstream;
    /** Null until opened; null again once closed. */
    private FileChannel channel;
    /** Bytes written so far. */
    private long written;
    /** Pool tasks (open, a write, the final force and close) running now: 0 or 1. */
    private int running;
    /** The data signalled onComplete or onError: its subscription is over, never to be cancelled (§2.3, §2.4). */
    private boolean upstreamTerminated;
    /** The downstream asked for the count. */
    private boolean requested;
    /** Everything was written and the file closed: the count waits for {@link #requested}. */
    private boolean resultReady;
    /** A terminal signal went out or the subscriber cancelled. */
    private boolean finished;

    private FileWrite(Loop loop, Path path, Publisher<ByteBuffer> data, WriteOptions options, Subscriber<? super Long> downstream) {
        this.loop = loop;
        this.path = path;
        this.data = data;
        this.options = options;
        this.pool = options.pool();
        this.downstream = downstream;
    }

    static void subscribe(Loop loop, Path path, Publisher<ByteBuffer> data, WriteOptions options, Subscriber<? super Long> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber"); // §1.9
        FileWrite write = new FileWrite(loop, path, data, options, subscriber);
        if (loop.inLoop()) {
            write.begin();
            return;
        }
        try {
            loop.execute(write::begin);
        } catch (RejectedExecutionException e) {
            subscriber.onSubscribe(write);
            write.terminate().onError(FileErrors.translate(e, path, "cannot write: loop " + loop.name() + " is shut down"));
        }
    }

    private void begin() {
        downstream.onSubscribe(this);
        if (!finished) {
            submit(this::open, "cannot open for writing");
        }
    }

    /** Loop thread: runs {@code task} on the pool, or fails with {@code action} if the pool refuses. */
    private void submit(Runnable task, String action) {
        running++;
        try {
            pool.execute(task);
        } catch (RejectedExecutionException e) {
            running--;
            fail(FileErrors.translate(e, path, action));
        }
    }

    /** Pool thread. */
    private void open() {
        FileChannel ch = null;
        IOException error = null;
        try {
            ch = FileChannel.open(path, options.openOptions());
        } catch (IOException e) {
            error = e;
        }
        FileChannel opened = ch;
        IOException openError = error;
        handBack(() -> opened(opened, openError), opened);
    }

    private void opened(FileChannel ch, IOException error) {
        running--;
        if (error != null) {
            fail(FileErrors.translate(error, path, "cannot open for writing"));
            return;
        }
        channel = ch;
        if (finished) {
            closeIfIdle();
            return;
        }
        try {
            data.subscribe(this);
        } catch (Throwable e) {
            fail(e);
        }
    }

    // ---- Subscriber of the data (any thread) ----------------------------------------------

    @Override
    public void onSubscribe(Subscription s) {
        Objects.requireNonNull(s, "subscription");
        onLoop(() -> {
            if (upstream != null) {
                s.cancel(); // §2.5: one subscription only
                return;
            }
            upstream = s;
            if (finished) {
                s.cancel();
            } else {
                s.request(1);
            }
        });
    }

    @Override
    public void onNext(ByteBuffer buffer) {
        Objects.requireNonNull(buffer, "buffer");
        onLoop(() -> write(buffer));
    }

    @Override
    public void onError(Throwable error) {
        Objects.requireNonNull(error, "error");
        onLoop(() -> {
            upstreamTerminated = true;
            fail(error); // the data's own error, as it is
        });
    }

    @Override
    public void onComplete() {
        onLoop(() -> {
            upstreamTerminated = true;
            if (!finished && running == 0) {
                finish();
            }
        });
    }

    // ---- writing (loop thread) ------------------------------------------------------------

    private void write(ByteBuffer buffer) {
        if (finished || upstreamTerminated) {
            return;
        }
        if (!buffer.hasRemaining()) {
            upstream.request(1);
            return;
        }
        FileChannel ch = channel;
        long offset = written;
        submit(() -> {
            IOException error = null;
            int before = buffer.remaining();
            try {
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
            } catch (IOException e) {
                error = e;
            }
            int n = before - buffer.remaining();
            IOException writeError = error;
            handBack(() -> wrote(n, offset, writeError), ch);
        }, "cannot write at offset " + offset);
    }

    private void wrote(int n, long offset, IOException error) {
        running--;
        written += n;
        if (finished) {
            closeIfIdle(); // cancelled or failed while the write ran
        } else if (error != null) {
            fail(FileErrors.translate(error, path, "write at offset " + (offset + n) + " failed"));
        } else if (upstreamTerminated) {
            finish();
        } else {
            upstream.request(1);
        }
    }

    /** Every buffer is written: force if asked and close, on the pool; the count follows. */
    private void finish() {
        FileChannel ch = channel;
        boolean force = options.force();
        submit(() -> {
            IOException error = null;
            try {
                if (force) {
                    ch.force(true);
                }
            } catch (IOException e) {
                error = e;
            }
            try {
                ch.close();
            } catch (IOException e) {
                if (error == null) {
                    error = e;
                } else {
                    error.addSuppressed(e);
                }
            }
            IOException finishError = error;
            handBack(() -> finished(finishError), ch);
        }, "cannot close");
    }

    private void finished(IOException error) {
        running--;
        channel = null; // closed by the task
        if (error != null) {
            fail(FileErrors.translate(error, path, options.force() ? "force and close failed" : "close failed"));
            return;
        }
        resultReady = true;
        emitIfRequested();
    }

    private void emitIfRequested() {
        if (resultReady && requested && !finished) {
            Subscriber<? super Long> s = terminate();
            s.onNext(written);
            s.onComplete();
        }
    }

    // ---- Subscription of the count's subscriber (any thread) --------------------------------

    @Override
    public void request(long n) {
        onLoop(() -> {
            if (finished) {
                return;
            }
            if (n <= 0) {
                fail(new IllegalArgumentException("§3.9 violated: request(" + n + ") writing " + path + "; it must be positive"));
                return;
            }
            requested = true;
            emitIfRequested();
        });
    }

    /** Stops taking data; the file is closed once the write running, if any, returns. */
    @Override
    public void cancel() {
        onLoop(() -> {
            if (!finished) {
                terminate();
                cancelUpstream();
                closeIfIdle();
            }
        });
    }

    private void fail(Throwable error) {
        if (finished) {
            return;
        }
        Subscriber<? super Long> s = terminate();
        cancelUpstream();
        closeIfIdle();
        s.onError(error);
    }

    private Subscriber<? super Long> terminate() {
        Subscriber<? super Long> s = downstream;
        finished = true;
        downstream = null; // §3.13
        return s;
    }

    private void cancelUpstream() {
        if (upstream != null && !upstreamTerminated) {
            upstreamTerminated = true;
            upstream.cancel();
        }
    }

    private void closeIfIdle() {
        if (finished && running == 0 && channel != null) {
            FileErrors.closeQuietly(channel, null);
            channel = null;
        }
    }

    /** Pool thread: back to the loop; if the loop is gone, close the file here so it is not left open. */
    private void handBack(Runnable action, FileChannel ch) {
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            FileErrors.closeQuietly(ch, null);
        }
    }

    private void onLoop(Runnable action) {
        if (loop.inLoop()) {
            action.run();
            return;
        }
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            // The loop shut down: nothing more can be signalled.
        }
    }
}

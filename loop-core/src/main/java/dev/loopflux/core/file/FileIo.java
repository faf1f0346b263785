package dev.loopflux.core.file;

import dev.loopflux.core.BlockingPool;
import dev.loopflux.core.Loop;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import org.reactivestreams.Publisher;

/**
 * Reading and writing files as backpressured publishers whose signals come on a loop.
 *
 * <p>The loop never blocks on a file: opening, reading, writing, forcing and closing run on a
 * {@link BlockingPool} (the {@link BlockingPool#shared() shared} one unless the options name
 * another) with {@link java.nio.channels.FileChannel} positional calls, and each completion comes
 * back to the loop as a task. (Why not {@link java.nio.channels.AsynchronousFileChannel}: on
 * Linux it is the same blocking calls on a thread pool of its own, unbounded unless given one;
 * the benchmarks' {@code FileReadBench} compares the two.)
 *
 * <h2>Threading</h2>
 * Both methods may be called from any thread; nothing happens until the publisher is subscribed.
 * Every signal ({@code onSubscribe}, {@code onNext}, {@code onError}, {@code onComplete}) is
 * delivered on {@code loop}'s thread; {@code request} and {@code cancel} may come from any thread.
 * If {@code loop} has shut down, a subscriber gets {@code onSubscribe} and {@code onError} on the
 * subscribing thread, the only one left.
 *
 * <h2>Errors</h2>
 * Every failure of the file is an {@code onError} with a {@link java.nio.file.FileSystemException}
 * whose file is the path and whose message says what was being done:
 * {@link java.nio.file.NoSuchFileException} (missing file or directory),
 * {@link java.nio.file.AccessDeniedException} (permission denied), and the base type for the rest
 * (a directory where a file was expected, no space left on the device, an IO error), with the
 * JDK's exception as the cause. A pool at its bound fails the same way, the
 * {@link java.util.concurrent.RejectedExecutionException} as the cause. On every path, success,
 * error or cancel, the file is closed: at once when no pool thread is using it, else as soon as
 * the one call running returns.
 */
public final class FileIo {

    private FileIo() {
    }

    /** {@code read(loop, path, ReadOptions.defaults())}. */
    public static Publisher<ByteBuffer> read(Loop loop, Path path) {
        return read(loop, path, ReadOptions.defaults());
    }

    /**
     * The bytes of {@code path} from {@link ReadOptions#position()}, at most
     * {@link ReadOptions#length()} of them, in elements of exactly {@link ReadOptions#chunkSize()}
     * bytes but the last. Cold: each subscriber opens the file for itself.
     *
     * <ul>
     *   <li>The file is opened when subscribed; a failure to open is signalled without waiting
     *   for demand.</li>
     *   <li>A chunk is read only for outstanding demand, at most {@link ReadOptions#maxInFlight()}
     *   at once; chunks are delivered in file order. A subscriber requesting one element at a time
     *   has exactly one read running at a time.</li>
     *   <li>The range ends where the file ended when it was opened: bytes appended later are not
     *   read. A file that shrinks while read ends early, without error. A file of no size (a
     *   device), or of size 0 (an empty file, and {@code /proc} files, which report 0 whatever
     *   they hold), is read until a read finds its end: an empty file completes at the first
     *   request, with no element.</li>
     *   <li>Cancelling stops reading; the file is closed once the reads already running return.</li>
     *   <li>Each buffer is a new heap buffer that belongs to the subscriber.</li>
     * </ul>
     */
    public static Publisher<ByteBuffer> read(Loop loop, Path path, ReadOptions options) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return subscriber -> FileRead.subscribe(loop, path, options, subscriber);
    }

    /** {@code write(loop, path, data, WriteOptions.defaults())}. */
    public static Publisher<Long> write(Loop loop, Path path, Publisher<ByteBuffer> data) {
        return write(loop, path, data, WriteOptions.defaults());
    }

    /**
     * Writes every buffer of {@code data} to {@code path}, in order, and emits the number of
     * bytes written, then completes. Cold: nothing is opened or subscribed until the returned
     * publisher is.
     *
     * <ul>
     *   <li>The file is opened when subscribed (with {@link WriteOptions#create()},
     *   {@link WriteOptions#append()}, {@link WriteOptions#truncate()}); {@code data} is
     *   subscribed only once it is open, so a failure to open never touches {@code data}.</li>
     *   <li>{@code data} is asked for one buffer at a time, and for the next only once the write of
     *   the one before has returned: the heap holds one buffer of it at most. A buffer belongs
     *   to the write once given; its position is moved to its limit.</li>
     *   <li>When {@code data} completes: {@link WriteOptions#force()} if asked, close, then
     *   {@code onNext(count)} (when requested) and {@code onComplete}.</li>
     *   <li>When {@code data} fails: the file is closed, its error is signalled as it is; what was
     *   written stays written.</li>
     *   <li>Cancelling cancels {@code data}; the file is closed once the write running returns.</li>
     * </ul>
     */
    public static Publisher<Long> write(Loop loop, Path path, Publisher<ByteBuffer> data, WriteOptions options) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(options, "options");
        return subscriber -> FileWrite.subscribe(loop, path, data, options, subscriber);
    }
}

package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.file.FileIo;
import dev.loopflux.core.file.ReadOptions;
import dev.loopflux.core.file.WriteOptions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Files as Flux and Mono: thin wrappers of {@link FileIo}, with the same backpressure, errors and
 * closing (see there). Every signal comes on the loop.
 *
 * <p>The forms without a {@link Loop} use the loop of the thread that subscribes
 * ({@link Loop#current()}): inside a handler that is the connection's loop. Subscribed from any
 * other thread they fail with an {@link IllegalStateException}; pass a loop instead.
 *
 * <pre>{@code
 * in.receiveLines()
 *   .concatMap(name -> LoopFiles.read(Path.of("static", name)).collectList())  // on the loop
 * }</pre>
 */
public final class LoopFiles {

    private LoopFiles() {
    }

    /** The bytes of {@code path}, in 64 KiB buffers, on the subscribing loop. */
    public static Flux<ByteBuffer> read(Path path) {
        return read(path, ReadOptions.defaults());
    }

    /** The bytes of {@code path} as {@code options} say, on the subscribing loop. */
    public static Flux<ByteBuffer> read(Path path, ReadOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return Flux.defer(() -> read(currentLoop("read " + path), path, options));
    }

    /** The bytes of {@code path} as {@code options} say, on {@code loop}. */
    public static Flux<ByteBuffer> read(Loop loop, Path path, ReadOptions options) {
        return Flux.from(FileIo.read(loop, path, options));
    }

    /** Writes {@code data} to {@code path} (created or truncated); the Mono is the byte count. */
    public static Mono<Long> write(Path path, Publisher<? extends ByteBuffer> data) {
        return write(path, data, WriteOptions.defaults());
    }

    /** Writes {@code data} to {@code path} as {@code options} say, on the subscribing loop; the Mono is the byte count. */
    public static Mono<Long> write(Path path, Publisher<? extends ByteBuffer> data, WriteOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(options, "options");
        return Mono.defer(() -> write(currentLoop("write " + path), path, data, options));
    }

    /** Writes {@code data} to {@code path} as {@code options} say, on {@code loop}; the Mono is the byte count. */
    @SuppressWarnings("unchecked")
    public static Mono<Long> write(Loop loop, Path path, Publisher<? extends ByteBuffer> data, WriteOptions options) {
        return Mono.from(FileIo.write(loop, path, (Publisher<ByteBuffer>) data, options));
    }

    private static Loop currentLoop(String what) {
        Loop loop = Loop.current();
        if (loop == null) {
            throw new IllegalStateException("cannot " + what + " from " + Thread.currentThread().getName()
                    + ": not a loop thread; subscribe on a loop or pass one");
        }
        return loop;
    }
}

package dev.loopflux.core;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A fixed set of {@link Loop}s, typically one per core, handed out round-robin and shut down
 * together. Each channel is pinned to one loop of the group for its whole life.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
public interface LoopGroup extends Iterable<Loop> {

    /** A group of one loop per available processor, named {@code loopflux-0, loopflux-1, ...}. */
    static LoopGroup create() {
        return create(LoopOptions.defaults());
    }

    /** A group of {@code loops} loops with default options, threads named {@code name-0 ...}. */
    static LoopGroup create(String name, int loops) {
        return create(LoopOptions.builder().name(name).loops(loops).build());
    }

    /** A group of {@link LoopOptions#loops()} loops; every thread is started before this returns. */
    static LoopGroup create(LoopOptions options) {
        return new DefaultLoopGroup(options);
    }

    /** The next loop, round-robin. Lock-free; one atomic increment. */
    Loop next();

    /** All loops of the group, in order; unmodifiable. */
    List<Loop> loops();

    /** How many loops the group has. */
    default int size() {
        return loops().size();
    }

    /**
     * Shuts every loop down as {@link Loop#shutdownGracefully(Duration, Duration)} does, and
     * returns {@link #terminationFuture()}.
     */
    CompletableFuture<Void> shutdownGracefully(Duration quietPeriod, Duration timeout);

    /** {@code shutdownGracefully(Duration.ZERO, Duration.ofSeconds(15))}. */
    default CompletableFuture<Void> shutdownGracefully() {
        return shutdownGracefully(Duration.ZERO, Duration.ofSeconds(15));
    }

    /** Completes once every loop has terminated. */
    CompletableFuture<Void> terminationFuture();

    /** True once every loop has terminated. */
    default boolean isTerminated() {
        return loops().stream().allMatch(Loop::isTerminated);
    }
}

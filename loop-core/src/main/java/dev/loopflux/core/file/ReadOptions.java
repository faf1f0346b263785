package dev.loopflux.core.file;

import dev.loopflux.core.BlockingPool;
import java.util.Objects;

/**
 * How {@link FileIo#read} reads a file: which range, in which chunks, with how many reads at
 * once, on which pool. Immutable; made with {@link #builder()}, unset fields take the defaults
 * documented on each method. Thread-safe; a {@link Builder} is not.
 */
public final class ReadOptions {
    /**
     * 64 KiB: four in flight hold 256 KiB of heap per read. Each chunk costs two hand-offs (to
     * the pool, back to the loop), so larger chunks read faster; FileReadBench measures it.
     */
    static final int DEFAULT_CHUNK_SIZE = 64 * 1024;
    /** 16 MiB: one chunk is one heap buffer handed to the subscriber. */
    static final int MAX_CHUNK_SIZE = 16 * 1024 * 1024;
    static final int DEFAULT_MAX_IN_FLIGHT = 4;
    static final int MAX_IN_FLIGHT = 64;
    private static final ReadOptions DEFAULTS = builder().build();

    private final int chunkSize;
    private final long position;
    private final long length;
    private final int maxInFlight;
    private final BlockingPool pool;

    private ReadOptions(Builder b) {
        this.chunkSize = b.chunkSize;
        this.position = b.position;
        this.length = b.length;
        this.maxInFlight = b.maxInFlight;
        this.pool = b.pool;
    }

    /** The defaults: the whole file, 64 KiB chunks, up to 4 reads in flight, the shared pool. */
    public static ReadOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Bytes per element: every element has exactly this many bytes except the last, which has
     * what is left. Default 64 KiB.
     */
    public int chunkSize() {
        return chunkSize;
    }

    /** Where in the file reading starts. Default 0. */
    public long position() {
        return position;
    }

    /** Bytes to read at most; fewer if the file ends first. Default {@code Long.MAX_VALUE}: to the end. */
    public long length() {
        return length;
    }

    /**
     * Reads running at once at most, each one chunk, and never more than the subscriber's
     * outstanding demand: the heap held by one read is at most {@code maxInFlight * chunkSize}
     * bytes beyond what the subscriber holds. Default 4.
     */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Where the blocking reads run. Default {@link BlockingPool#shared()}. */
    public BlockingPool pool() {
        return pool;
    }

    @Override
    public String toString() {
        return "ReadOptions[chunkSize=" + chunkSize + ", position=" + position + ", length=" + length
                + ", maxInFlight=" + maxInFlight + "]";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private long position;
        private long length = Long.MAX_VALUE;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private BlockingPool pool = BlockingPool.shared();

        private Builder() {
        }

        /** @throws IllegalArgumentException unless in [1, 16 MiB] */
        public Builder chunkSize(int chunkSize) {
            if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
                throw new IllegalArgumentException("chunkSize not in [1, " + MAX_CHUNK_SIZE + "]: " + chunkSize);
            }
            this.chunkSize = chunkSize;
            return this;
        }

        /** @throws IllegalArgumentException if negative */
        public Builder position(long position) {
            if (position < 0) {
                throw new IllegalArgumentException("position < 0: " + position);
            }
            this.position = position;
            return this;
        }

        /** @throws IllegalArgumentException if negative */
        public Builder length(long length) {
            if (length < 0) {
                throw new IllegalArgumentException("length < 0: " + length);
            }
            this.length = length;
            return this;
        }

        /** @throws IllegalArgumentException unless in [1, 64] */
        public Builder maxInFlight(int maxInFlight) {
            if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT) {
                throw new IllegalArgumentException("maxInFlight not in [1, " + MAX_IN_FLIGHT + "]: " + maxInFlight);
            }
            this.maxInFlight = maxInFlight;
            return this;
        }

        public Builder pool(BlockingPool pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        public ReadOptions build() {
            return new ReadOptions(this);
        }
    }
}

package dev.loopflux.core.file;

import dev.loopflux.core.BlockingPool;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How {@link FileIo#write} opens and finishes a file. Immutable; made with {@link #builder()},
 * unset fields take the defaults documented on each method. Thread-safe; a {@link Builder} is not.
 */
public final class WriteOptions {
    private static final WriteOptions DEFAULTS = builder().build();

    private final boolean create;
    private final boolean append;
    private final boolean truncate;
    private final boolean force;
    private final BlockingPool pool;

    private WriteOptions(Builder b) {
        this.create = b.create;
        this.append = b.append;
        this.truncate = b.truncate;
        this.force = b.force;
        this.pool = b.pool;
    }

    /** The defaults: create or truncate, no force, the shared pool (as {@code Files.write} does). */
    public static WriteOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Create the file if it does not exist; otherwise a missing file is an error. Default true. */
    public boolean create() {
        return create;
    }

    /** Write after the end of what the file holds. Default false. */
    public boolean append() {
        return append;
    }

    /** Cut an existing file to zero bytes on open; ignored when appending. Default true. */
    public boolean truncate() {
        return truncate;
    }

    /**
     * Before completing, force the bytes (and the metadata needed to read them back) to the
     * storage device, so that the count is only emitted once they survive a crash. Default false.
     */
    public boolean force() {
        return force;
    }

    /** Where the blocking writes run. Default {@link BlockingPool#shared()}. */
    public BlockingPool pool() {
        return pool;
    }

    Set<OpenOption> openOptions() {
        Set<OpenOption> options = new java.util.HashSet<>(EnumSet.of(StandardOpenOption.WRITE));
        if (create) {
            options.add(StandardOpenOption.CREATE);
        }
        if (append) {
            options.add(StandardOpenOption.APPEND);
        } else if (truncate) {
            options.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        return options;
    }

    @Override
    public String toString() {
        return "WriteOptions[create=" + create + ", append=" + append + ", truncate=" + truncate + ", force=" + force + "]";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private boolean create = true;
        private boolean append;
        private boolean truncate = true;
        private boolean force;
        private BlockingPool pool = BlockingPool.shared();

        private Builder() {
        }

        public Builder create(boolean create) {
            this.create = create;
            return this;
        }

        public Builder append(boolean append) {
            this.append = append;
            return this;
        }

        public Builder truncate(boolean truncate) {
            this.truncate = truncate;
            return this;
        }

        public Builder force(boolean force) {
            this.force = force;
            return this;
        }

        public Builder pool(BlockingPool pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        public WriteOptions build() {
            return new WriteOptions(this);
        }
    }
}

package dev.loopflux.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * Every tunable of a loop or loop group, in one immutable value. Built with {@link #builder()};
 * unset fields take the defaults documented on each method. Four defaults can be overridden
 * JVM-wide by system properties, read once when this class loads:
 * {@code loopflux.taskQuantumMicros}, {@code loopflux.blockedThresholdMillis},
 * {@code loopflux.selectorRebuildThreshold}, {@code loopflux.idleSpinMicros}.
 *
 * <p>Immutable and thread-safe; a {@link Builder} is not.
 */
public final class LoopOptions {
    private static final long DEFAULT_TASK_QUANTUM_MICROS = Long.getLong("loopflux.taskQuantumMicros", 1_000);
    private static final long DEFAULT_BLOCKED_THRESHOLD_MILLIS = Long.getLong("loopflux.blockedThresholdMillis", 1_000);
    private static final int DEFAULT_SELECTOR_REBUILD_THRESHOLD = Integer.getInteger("loopflux.selectorRebuildThreshold", 512);
    private static final long DEFAULT_IDLE_SPIN_MICROS = Long.getLong("loopflux.idleSpinMicros", 10);
    private static final LoopOptions DEFAULTS = builder().build();

    private final String name;
    private final int loops;
    private final Clock clock;
    private final Duration taskQuantum;
    private final Duration blockedThreshold;
    private final BlockedLoopListener blockedListener;
    private final LoopErrorHandler errorHandler;
    private final int selectorRebuildThreshold;
    private final SelectStrategy selectStrategy;
    private final ThreadFactory threadFactory;
    private final Duration idleSpin;

    private LoopOptions(Builder b) {
        this.idleSpin = b.idleSpin;
        this.name = b.name;
        this.loops = b.loops;
        this.clock = b.clock;
        this.taskQuantum = b.taskQuantum;
        this.blockedThreshold = b.blockedThreshold;
        this.blockedListener = b.blockedListener;
        this.errorHandler = b.errorHandler;
        this.selectorRebuildThreshold = b.selectorRebuildThreshold;
        this.selectStrategy = b.selectStrategy;
        this.threadFactory = b.threadFactory;
    }

    /** The defaults: what {@code builder().build()} gives. */
    public static LoopOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.loops = loops;
        b.clock = clock;
        b.taskQuantum = taskQuantum;
        b.blockedThreshold = blockedThreshold;
        b.blockedListener = blockedListener;
        b.errorHandler = errorHandler;
        b.selectorRebuildThreshold = selectorRebuildThreshold;
        b.selectStrategy = selectStrategy;
        b.threadFactory = threadFactory;
        b.idleSpin = idleSpin;
        return b;
    }

    /** Thread name of a single loop, or prefix of a group's ({@code name-0}, ...). Default {@code "loopflux"}. */
    public String name() {
        return name;
    }

    /** Loops in a {@link LoopGroup}. Default: one per available processor. */
    public int loops() {
        return loops;
    }

    /** The clock timers are measured by. Default {@link Clock#SYSTEM}. */
    public Clock clock() {
        return clock;
    }

    /**
     * How long one iteration may run queued tasks before it goes back to IO. Default 1 ms.
     * Checked every 64 tasks, so one long task still runs to its end.
     */
    public Duration taskQuantum() {
        return taskQuantum;
    }

    /** How long one run may keep the loop busy before the watchdog reports it. Default 1 s; zero turns the watchdog off. */
    public Duration blockedThreshold() {
        return blockedThreshold;
    }

    /** Told of blocked loops, besides the {@code WARNING} log line. Default: none. */
    public BlockedLoopListener blockedListener() {
        return blockedListener;
    }

    /** Receives what tasks, timers and handlers throw. Default {@link LoopErrorHandler#LOG}. */
    public LoopErrorHandler errorHandler() {
        return errorHandler;
    }

    /**
     * After this many selects in a row that returned early with nothing to do, the selector is
     * replaced (the epoll spin workaround). Default 512; 0 turns it off.
     */
    public int selectorRebuildThreshold() {
        return selectorRebuildThreshold;
    }

    /** How the loop selects and wakes its selector. Default {@link SelectStrategy#DEFAULT}. */
    public SelectStrategy selectStrategy() {
        return selectStrategy;
    }

    /**
     * Makes the loop threads. Default: non-daemon threads named after the loop, so a loop keeps
     * the JVM alive until it is shut down.
     */
    public ThreadFactory threadFactory() {
        return threadFactory;
    }

    /**
     * How long a loop that has just run tasks handed over from other threads waits for the next
     * one, spinning, before it sleeps in select. About the cost of one wake-up: it spares the
     * submitting thread a system call per task when tasks come in quick succession, for a few
     * microseconds of CPU each time the loop goes idle. Never spent by a loop busy with IO alone.
     * Default 10 µs ({@code loopflux.idleSpinMicros}); zero turns it off.
     */
    public Duration idleSpin() {
        return idleSpin;
    }

    @Override
    public String toString() {
        return "LoopOptions[name=" + name + ", loops=" + loops + ", taskQuantum=" + taskQuantum
                + ", blockedThreshold=" + blockedThreshold + ", selectorRebuildThreshold=" + selectorRebuildThreshold + "]";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private String name = "loopflux";
        private int loops = Runtime.getRuntime().availableProcessors();
        private Clock clock = Clock.SYSTEM;
        private Duration taskQuantum = Duration.ofNanos(DEFAULT_TASK_QUANTUM_MICROS * 1_000);
        private Duration blockedThreshold = Duration.ofMillis(DEFAULT_BLOCKED_THRESHOLD_MILLIS);
        private BlockedLoopListener blockedListener;
        private LoopErrorHandler errorHandler = LoopErrorHandler.LOG;
        private int selectorRebuildThreshold = DEFAULT_SELECTOR_REBUILD_THRESHOLD;
        private SelectStrategy selectStrategy = SelectStrategy.DEFAULT;
        private ThreadFactory threadFactory = r -> {
            Thread t = new Thread(r);
            t.setDaemon(false); // not inherited from whichever thread made the loop
            return t;
        };
        private Duration idleSpin = Duration.ofNanos(DEFAULT_IDLE_SPIN_MICROS * 1_000);

        private Builder() {
        }

        /** @throws IllegalArgumentException unless in [0, 1 ms] */
        public Builder idleSpin(Duration idleSpin) {
            Objects.requireNonNull(idleSpin, "idleSpin");
            if (idleSpin.isNegative() || idleSpin.compareTo(Duration.ofMillis(1)) > 0) {
                throw new IllegalArgumentException("idleSpin not in [0, 1ms]: " + idleSpin);
            }
            this.idleSpin = idleSpin;
            return this;
        }

        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name is blank");
            }
            this.name = name;
            return this;
        }

        /** @throws IllegalArgumentException unless {@code 1 <= loops <= 4096} */
        public Builder loops(int loops) {
            if (loops < 1 || loops > 4096) {
                throw new IllegalArgumentException("loops not in [1, 4096]: " + loops);
            }
            this.loops = loops;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @throws IllegalArgumentException unless positive and at most 1 s */
        public Builder taskQuantum(Duration taskQuantum) {
            Objects.requireNonNull(taskQuantum, "taskQuantum");
            if (taskQuantum.isNegative() || taskQuantum.isZero() || taskQuantum.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("taskQuantum not in (0, 1s]: " + taskQuantum);
            }
            this.taskQuantum = taskQuantum;
            return this;
        }

        /** @throws IllegalArgumentException if negative, or positive and under 1 ms */
        public Builder blockedThreshold(Duration blockedThreshold) {
            Objects.requireNonNull(blockedThreshold, "blockedThreshold");
            if (blockedThreshold.isNegative() || (!blockedThreshold.isZero() && blockedThreshold.toNanos() < 1_000_000)) {
                throw new IllegalArgumentException("blockedThreshold must be 0 (off) or >= 1ms: " + blockedThreshold);
            }
            this.blockedThreshold = blockedThreshold;
            return this;
        }

        public Builder blockedListener(BlockedLoopListener blockedListener) {
            this.blockedListener = blockedListener;
            return this;
        }

        public Builder errorHandler(LoopErrorHandler errorHandler) {
            this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
            return this;
        }

        /** @throws IllegalArgumentException if negative */
        public Builder selectorRebuildThreshold(int selectorRebuildThreshold) {
            if (selectorRebuildThreshold < 0) {
                throw new IllegalArgumentException("selectorRebuildThreshold < 0: " + selectorRebuildThreshold);
            }
            this.selectorRebuildThreshold = selectorRebuildThreshold;
            return this;
        }

        public Builder selectStrategy(SelectStrategy selectStrategy) {
            this.selectStrategy = Objects.requireNonNull(selectStrategy, "selectStrategy");
            return this;
        }

        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        public LoopOptions build() {
            return new LoopOptions(this);
        }
    }
}

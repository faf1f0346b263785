package dev.loopflux.reactor;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Reactor {@link Scheduler}s backed by Loopflux loops, and the {@link Schedulers.Factory} that
 * makes Reactor's own {@code single()} and {@code parallel()} run on loops:
 *
 * <pre>{@code
 * Schedulers.setFactory(LoopSchedulers.factory());   // once, at startup
 * Flux.interval(Duration.ofMillis(10))               // now ticks on a loop
 * }</pre>
 *
 * <p>Loop threads are {@link reactor.core.scheduler.NonBlocking}: {@code block()} on them throws,
 * and BlockHound reports blocking calls on them. The schedulers made here run work on their own
 * loops; only the drop-in factory's keep work asked for on another loop's thread on that loop (so
 * a connection's pipeline keeps to its loop). Every method here is safe from any thread.
 */
public final class LoopSchedulers {

    private LoopSchedulers() {
    }

    /**
     * A scheduler on one new loop named {@code name}, with non-daemon {@code NonBlocking} threads.
     * Its loop starts on first use; {@code dispose()} shuts it down.
     */
    public static Scheduler newSingle(String name) {
        return newGroup(name, 1);
    }

    /** A scheduler on {@code loops} new loops named {@code name-0, name-1, ...}; {@code dispose()} shuts them down. */
    public static Scheduler newGroup(String name, int loops) {
        Objects.requireNonNull(name, "name");
        LoopOptions options = LoopOptions.builder().name(name).loops(loops).threadFactory(LoopThread.FACTORY).build();
        return LoopScheduler.owning(name, () -> LoopGroup.create(options));
    }

    /**
     * A scheduler over an existing group. Disposing the scheduler stops it from accepting work
     * and cancels its workers' pending tasks, but leaves the loops running: they are the group's
     * owner's to shut down.
     */
    public static Scheduler from(LoopGroup group) {
        Objects.requireNonNull(group, "group");
        return LoopScheduler.wrapping("loops" + group.loops(), group);
    }

    /**
     * A scheduler over one existing loop: everything scheduled on it runs on that loop, whichever
     * thread asks (so {@code publishOn(from(loop))} hops onto it). For a {@code TestLoop}, it is the
     * scheduler of tests on a manual clock. Disposing it leaves the loop running.
     */
    public static Scheduler from(Loop loop) {
        Objects.requireNonNull(loop, "loop");
        return LoopScheduler.wrapping(loop.name(), loop);
    }

    /**
     * A {@link Schedulers.Factory} whose {@code single} and {@code parallel} schedulers are loops
     * (on the threads Reactor's thread factory makes, so they keep its {@code NonBlocking}
     * marker, named after the scheduler Reactor asks for: {@code parallel-0}, or {@code x-0}
     * for {@code Schedulers.newSingle("x")}). {@code boundedElastic}, for blocking work, stays
     * Reactor's.
     */
    public static Schedulers.Factory factory() {
        return Factory.INSTANCE;
    }

    private enum Factory implements Schedulers.Factory {
        INSTANCE;

        @Override
        public Scheduler newSingle(ThreadFactory threadFactory) {
            return group(nameOf(threadFactory, "single"), 1, threadFactory);
        }

        @Override
        public Scheduler newParallel(int parallelism, ThreadFactory threadFactory) {
            return group(nameOf(threadFactory, "parallel"), parallelism, threadFactory);
        }

        /**
         * The name Reactor gave the scheduler: its thread factories tell it as a
         * {@code Supplier<String>}. The loops name their threads, so without it
         * {@code Schedulers.newSingle("x")} would run on threads named {@code single-0}.
         */
        private static String nameOf(ThreadFactory threadFactory, String otherwise) {
            if (threadFactory instanceof Supplier<?> named && named.get() instanceof String name && !name.isBlank()) {
                return name;
            }
            return otherwise;
        }

        private static Scheduler group(String name, int loops, ThreadFactory threadFactory) {
            LoopOptions options = LoopOptions.builder().name(name).loops(loops).threadFactory(threadFactory).build();
            return LoopScheduler.owningWithAffinity(name, () -> LoopGroup.create(options));
        }
    }
}

package dev.loopflux.bench;

import java.util.concurrent.TimeUnit;

/**
 * One single-threaded executor under test, behind the few operations the benchmarks use, so
 * that every benchmark body is the same code for every peer. Made by {@link Peers#create}.
 *
 * <p>{@code H} is the peer's own timer handle ({@code TimerHandle}, Netty's
 * {@code ScheduledFuture}, Reactor's {@code Disposable}...), returned as is: a wrapper per timer
 * would be counted in the time per schedule and in the bytes retained per pending timer.
 * {@link #cancel} takes it back.
 *
 * <p>Threading: {@link #execute}, {@link #schedule} and {@link #cancel} may be called from any
 * thread, including the peer's own; tasks and timers run on the peer's one thread, tasks in
 * submission order per submitting thread. {@link #shutdown} must not be called from the peer's
 * thread.
 *
 * @param <H> the peer's timer handle
 */
public interface Peer<H> {

    /** The name it was created with, as accepted by {@link Peers#create}. */
    String name();

    /** Runs {@code task} once on the peer's thread, as soon as possible. */
    void execute(Runnable task);

    /**
     * Runs {@code task} once on the peer's thread after {@code delay}.
     *
     * @throws UnsupportedOperationException for a peer that has no timers ({@code "jdk"})
     */
    H schedule(Runnable task, long delay, TimeUnit unit);

    /** Cancels a timer returned by {@link #schedule}; true if this call cancelled it. */
    boolean cancel(H handle);

    /** Shuts the peer down and waits (at most a few seconds) until its thread has ended. */
    void shutdown();
}

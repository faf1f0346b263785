package dev.loopflux.core;

import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One event loop: one thread, one {@link java.nio.channels.Selector}, its tasks and its timers.
 * Each iteration runs IO readiness handlers, then due timers, then queued tasks (for at most
 * {@link LoopOptions#taskQuantum()}, so that IO is never starved), then waits in select until
 * the next timer is due or something wakes it.
 *
 * <h2>Threading</h2>
 * Every method here is safe to call from any thread. Everything the loop runs (tasks, timers,
 * {@link IoHandler} callbacks) runs on the loop thread, one at a time, and must not block: a
 * task that blocks stalls every channel of the loop, and the watchdog reports it. Tasks
 * submitted from one thread run in the order they were submitted; tasks from different threads
 * have no ordering between them.
 *
 * <h2>Lifecycle</h2>
 * A loop starts when created and runs until {@link #shutdownGracefully}. A task, timer or handler
 * that throws never stops the loop: the error goes to {@link LoopOptions#errorHandler()}.
 */
public interface Loop extends Executor {

    /** A loop with {@link LoopOptions#defaults() default options}, named {@code "loopflux"}. */
    static Loop create() {
        return create(LoopOptions.defaults());
    }

    /** A loop with default options and the given thread name. */
    static Loop create(String name) {
        return create(LoopOptions.builder().name(name).build());
    }

    /** A loop with the given options; its thread is started before this returns. */
    static Loop create(LoopOptions options) {
        return new ThreadLoop(options.name(), options, null);
    }

    /**
     * The loop whose thread is calling, or {@code null} when called from any other thread. Lets
     * code that runs on a loop (a handler, a scheduler asked for a worker) stay on it.
     */
    static Loop current() {
        return AbstractLoop.CURRENT.get();
    }

    /** The loop's name, which is also its thread's name. */
    String name();

    /** True when called on this loop's thread. */
    boolean inLoop();

    /**
     * Runs {@code task} on the loop thread, after the tasks queued before it. From the loop
     * thread itself this only queues; from another thread it also wakes the loop if, and only
     * if, it may be sleeping in select (a burst of submissions costs one wake-up, not one
     * each).
     *
     * @throws RejectedExecutionException if the loop has shut down (its quiet period is over);
     *     during the quiet period of {@link #shutdownGracefully} tasks are still accepted
     */
    @Override
    void execute(Runnable task);

    /**
     * Runs {@code task} once on the loop thread after {@code delay} (by the loop's clock). A
     * delay of zero or less runs it on the next iteration, after IO. Called from a task or handler
     * on the loop thread, the delay counts from the end of that run (one clock reading serves every
     * timer a run sets; a timer is never early); otherwise from the call, and the timer never runs
     * before the tasks the calling thread queued with {@link #execute} before the call.
     *
     * @throws RejectedExecutionException if the loop is shutting down
     */
    TimerHandle schedule(Runnable task, long delay, TimeUnit unit);

    /**
     * Runs {@code task} on the loop thread after {@code initialDelay}, then every {@code period}
     * measured from the first run's deadline (fixed rate). When runs fall behind, the missed
     * runs happen back to back, one per loop iteration, so IO and tasks are served in between;
     * none is skipped. Runs never overlap.
     *
     * @throws IllegalArgumentException if {@code period <= 0}
     * @throws RejectedExecutionException if the loop is shutting down
     */
    TimerHandle scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit);

    /**
     * Registers {@code channel} with this loop for the rest of its life. The channel is put in
     * non-blocking mode. {@code handler} is called on the loop thread for each readiness of
     * {@code interestOps}.
     *
     * @return a future completed on the loop thread with the registration, or exceptionally
     *     with the {@link java.io.IOException} registration raised, or a
     *     {@link RejectedExecutionException} if the loop is shutting down. From the loop thread
     *     it is complete when this method returns.
     */
    CompletableFuture<IoRegistration> register(SelectableChannel channel, int interestOps, IoHandler handler);

    /** The loop's clock; timers are measured by it. */
    Clock clock();

    /** {@code clock().nanoTime()}. */
    default long nanoTime() {
        return clock().nanoTime();
    }

    /** A snapshot of the loop's counters. Any thread; fields are read without stopping the loop. */
    LoopMetrics metrics();

    /**
     * Shuts the loop down gracefully, and returns {@link #terminationFuture()}.
     * <ol>
     *   <li>At once: timers are cancelled, new timers and registrations are rejected, and every
     *   registered channel is closed (its handler gets {@link IoHandler#onDeregistered} with a
     *   {@link LoopShutdownException}).</li>
     *   <li>Tasks keep running until none was submitted for {@code quietPeriod}, or until
     *   {@code timeout} has passed since this call, whichever comes first.</li>
     *   <li>Then new tasks are rejected, the tasks already queued run, the selector is closed and
     *   the thread ends; the termination future completes.</li>
     * </ol>
     * Calling it again has no further effect.
     *
     * @throws IllegalArgumentException if {@code quietPeriod} is negative or longer than
     *     {@code timeout}
     */
    CompletableFuture<Void> shutdownGracefully(Duration quietPeriod, Duration timeout);

    /** {@code shutdownGracefully(Duration.ZERO, Duration.ofSeconds(15))}. */
    default CompletableFuture<Void> shutdownGracefully() {
        return shutdownGracefully(Duration.ZERO, Duration.ofSeconds(15));
    }

    /** Completes (on the loop thread, as its last act) once the loop has terminated. */
    CompletableFuture<Void> terminationFuture();

    /** True once {@link #shutdownGracefully} was called. */
    boolean isShuttingDown();

    /** True once the loop has terminated. */
    boolean isTerminated();
}

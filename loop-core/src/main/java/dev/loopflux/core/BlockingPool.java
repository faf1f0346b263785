package dev.loopflux.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;

/**
 * A bounded pool for blocking work (file IO, a blocking client library), whose results come back
 * to a loop as completion events: nothing that runs on a loop may block, so it hands the work
 * over here and subscribes to the result.
 *
 * <h2>Bounds</h2>
 * A fixed number of threads ({@link #threads()}, default {@code max(4, available processors)},
 * system property {@code loopflux.blockingThreads}) and a queue of at most
 * {@link #queueCapacity()} tasks waiting for a thread (default 10,000, system property
 * {@code loopflux.blockingQueue}); the defaults are read once. Past the queue's bound a task is
 * refused with a {@link RejectedExecutionException} that names the bound: overload shows up as
 * an error at once, not as a queue that grows until the heap is gone.
 *
 * <h2>Threads</h2>
 * Daemon threads named {@code loopflux-offload-N}, started on demand and kept for the pool's
 * life, so a pool never keeps the JVM alive. {@link #shared()} is one pool for the whole JVM,
 * used by file IO unless told otherwise; it is never shut down.
 *
 * <p>Thread-safe: every method may be called from any thread.
 */
public final class BlockingPool {
    private static final int DEFAULT_THREADS = Integer.getInteger("loopflux.blockingThreads",
            Math.max(4, Runtime.getRuntime().availableProcessors()));
    private static final int DEFAULT_QUEUE = Integer.getInteger("loopflux.blockingQueue", 10_000);
    /** Numbers the threads of every pool, so that each thread name is unique in the JVM. */
    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();

    private final int threads;
    private final int queueCapacity;
    private final ThreadPoolExecutor executor;

    private BlockingPool(int threads, int queueCapacity) {
        if (threads < 1 || threads > 4096) {
            throw new IllegalArgumentException("threads not in [1, 4096]: " + threads);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity < 1: " + queueCapacity);
        }
        this.threads = threads;
        this.queueCapacity = queueCapacity;
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(queueCapacity), BlockingPool::newThread, this::reject);
    }

    /** A pool with the default bounds. */
    public static BlockingPool create() {
        return new BlockingPool(DEFAULT_THREADS, DEFAULT_QUEUE);
    }

    /**
     * A pool of {@code threads} threads and at most {@code queueCapacity} tasks waiting.
     *
     * @throws IllegalArgumentException unless {@code 1 <= threads <= 4096} and {@code queueCapacity >= 1}
     */
    public static BlockingPool create(int threads, int queueCapacity) {
        return new BlockingPool(threads, queueCapacity);
    }

    /** The JVM-wide pool with the default bounds, made on first use and never shut down. */
    public static BlockingPool shared() {
        return Shared.POOL;
    }

    /** Threads that run the work. */
    public int threads() {
        return threads;
    }

    /** Tasks that may wait for a thread; one more is refused. */
    public int queueCapacity() {
        return queueCapacity;
    }

    /** Tasks waiting for a thread now (a snapshot). */
    public int queued() {
        return executor.getQueue().size();
    }

    /**
     * Runs {@code work} on this pool and delivers its result on {@code loop}'s thread: a publisher
     * of at most one element, cold (nothing runs until the first {@code request}), one run per
     * subscriber.
     *
     * <ul>
     *   <li>{@code onSubscribe}, {@code onNext}, {@code onComplete} and {@code onError} all come on
     *   {@code loop}'s thread; {@code request} and {@code cancel} may come from any thread.</li>
     *   <li>The work is queued on the first positive request. A non-null result is {@code onNext}
     *   then {@code onComplete}; {@code null} is {@code onComplete} alone; what the work throws is
     *   {@code onError} with that exception.</li>
     *   <li>A queue at its bound: {@code onError(}{@link RejectedExecutionException}{@code )}. A
     *   pool that is shut down fails each subscriber at once, before any request.</li>
     *   <li>Cancelling before the work started removes it from the queue: it never runs.
     *   Cancelling while it runs interrupts its thread (a blocking call that honours interrupts
     *   ends); its result, if any, is dropped. Either way no signal follows.</li>
     *   <li>If {@code loop} has shut down by the time the work ends, the result is dropped:
     *   there is no thread left to deliver it on.</li>
     * </ul>
     */
    public <T> Publisher<T> call(Loop loop, Callable<? extends T> work) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(work, "work");
        return subscriber -> OffloadCall.subscribe(this, loop, work, subscriber);
    }

    /**
     * Runs {@code task} on a pool thread; for code that delivers its own completion.
     *
     * @throws RejectedExecutionException if the queue is at its bound or the pool is shut down
     */
    public void execute(Runnable task) {
        executor.execute(Objects.requireNonNull(task, "task"));
    }

    /** Removes {@code task} from the queue if it has not started; true if it was removed. */
    boolean remove(Runnable task) {
        return executor.remove(task);
    }

    /**
     * Stops taking work: tasks already queued still run, new ones are refused. Returns at once.
     * Idempotent. Calling it on {@link #shared()} is refused.
     *
     * @throws IllegalStateException on the shared pool
     */
    public void shutdown() {
        if (this == Shared.POOL) {
            throw new IllegalStateException("the shared blocking pool is never shut down");
        }
        executor.shutdown();
    }

    /** True once {@link #shutdown()} was called. */
    public boolean isShutdown() {
        return executor.isShutdown();
    }

    /** Waits until every task has run after {@link #shutdown()}; false if {@code timeout} passed first. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return executor.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void reject(Runnable task, ThreadPoolExecutor executor) {
        if (executor.isShutdown()) {
            throw new RejectedExecutionException("blocking pool is shut down");
        }
        throw new RejectedExecutionException("blocking pool is full: " + queueCapacity
                + " tasks already wait for its " + threads + " threads (queueCapacity=" + queueCapacity + ")");
    }

    private static Thread newThread(Runnable r) {
        Thread t = new Thread(r, "loopflux-offload-" + THREAD_NUMBER.incrementAndGet());
        t.setDaemon(true);
        return t;
    }

    @Override
    public String toString() {
        return "BlockingPool[threads=" + threads + ", queueCapacity=" + queueCapacity + ", queued=" + queued()
                + (isShutdown() ? ", shut down" : "") + "]";
    }

    /** Holder: the shared pool is made when first asked for. */
    private static final class Shared {
        static final BlockingPool POOL = new BlockingPool(DEFAULT_THREADS, DEFAULT_QUEUE);
    }
}

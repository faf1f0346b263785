package dev.loopflux.reactor;

import dev.loopflux.core.BlockingPool;
import dev.loopflux.core.Loop;
import java.util.Objects;
import java.util.concurrent.Callable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs blocking work away from the loop and brings its result back to it:
 *
 * <pre>{@code
 * in.receiveLines()
 *   .concatMap(key -> Offload.blocking(() -> jdbc.lookup(key)))   // the loop never waits
 *   .map(...)                                                      // back on the loop here
 * }</pre>
 *
 * <p>The {@link Callable} runs on a bounded pool: by default Reactor's
 * {@link Schedulers#boundedElastic()} (at most ten threads per core, at most 100,000 tasks queued;
 * past that, subscribing fails with a {@link java.util.concurrent.RejectedExecutionException}).
 * Its result (or error) is delivered on the loop of the thread that subscribed, when that is a
 * loop thread; otherwise on the pool's thread. Cancelling before the work finished cancels the
 * pool's task as that scheduler does (Reactor's interrupts the thread); the work's result is then
 * dropped.
 */
public final class Offload {

    private Offload() {
    }

    /** Runs {@code work} on {@link Schedulers#boundedElastic()}; a null result is an empty Mono. */
    public static <T> Mono<T> blocking(Callable<? extends T> work) {
        return blocking(work, Schedulers.boundedElastic());
    }

    /**
     * Runs {@code work} on Loopflux's own bounded {@code pool} (see {@link BlockingPool} for its
     * bounds; {@link BlockingPool#shared()} is the one file IO uses). Subscribed on a loop, this
     * is {@link BlockingPool#call}: the result comes on that loop, a cancel before the work started
     * takes it off the queue and one while it runs interrupts it, and a full queue fails with a
     * {@link java.util.concurrent.RejectedExecutionException}. Subscribed anywhere else, the
     * result comes on the pool's thread.
     */
    public static <T> Mono<T> blocking(Callable<? extends T> work, BlockingPool pool) {
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(pool, "pool");
        return Mono.defer(() -> {
            Loop caller = Loop.current();
            return caller != null
                    ? Mono.<T>from(pool.call(caller, work))
                    : Mono.<T>fromCallable(work).subscribeOn(Schedulers.fromExecutor(pool::execute));
        });
    }

    /** Runs {@code work} on {@code pool}, which must be able to block (not a loop scheduler). */
    public static <T> Mono<T> blocking(Callable<? extends T> work, Scheduler pool) {
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(pool, "pool");
        return Mono.defer(() -> {
            Loop caller = Loop.current();
            Mono<T> offloaded = Mono.<T>fromCallable(work).subscribeOn(pool);
            return caller == null ? offloaded : offloaded.publishOn(LoopSchedulers.from(caller));
        });
    }
}

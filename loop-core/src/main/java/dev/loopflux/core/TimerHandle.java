package dev.loopflux.core;

/**
 * A timer scheduled on a loop, as returned by {@link Loop#schedule} and
 * {@link Loop#scheduleAtFixedRate}.
 *
 * <p>Thread-safe: {@link #cancel()} may be called from any thread, any number of times.
 */
public interface TimerHandle {

    /**
     * Cancels the timer: its task will not run again. A run already under way on the loop
     * finishes. Cancelling is O(1) and allocates nothing.
     *
     * @return {@code true} if this call cancelled it; {@code false} if it was already
     *     cancelled, or was a one-shot timer that already ran
     */
    boolean cancel();

    /** True once {@link #cancel()} succeeded (or the loop shut down before the timer ran). */
    boolean isCancelled();

    /** True once the timer can no longer run: it was cancelled, or it was one-shot and ran. */
    boolean isDone();
}

package dev.loopflux.core;

import java.nio.channels.SelectionKey;

/**
 * Reacts to readiness of a channel registered with {@link Loop#register}.
 *
 * <p>Threading: every method is called on the loop thread that owns the registration, never
 * concurrently, never after {@link #onDeregistered}. A handler must not block.
 */
public interface IoHandler {

    /**
     * The channel is ready for the operations in {@code readyOps} (bits of
     * {@link SelectionKey}). Do the small amount of work they allow and return.
     *
     * <p>If this method throws, the loop reports the error to its error handler, cancels the
     * registration, closes the channel and calls {@link #onDeregistered} with the error.
     *
     * @param registration the registration that became ready
     * @param readyOps the ready operations, a subset of the interest set
     * @throws Exception anything; it closes this channel only, never the loop
     */
    void onReady(IoRegistration registration, int readyOps) throws Exception;

    /**
     * The registration ended: {@link IoRegistration#cancel()} was called, {@link #onReady}
     * threw, or the loop is shutting down and closed the channel. Called exactly once.
     *
     * @param registration the registration that ended
     * @param cause {@code null} after {@link IoRegistration#cancel()}; otherwise why it ended
     *     (what {@code onReady} threw, or a {@link LoopShutdownException})
     */
    default void onDeregistered(IoRegistration registration, Throwable cause) {
    }
}

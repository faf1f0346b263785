package dev.loopflux.core;

/**
 * Receives what a task, timer or {@link IoHandler} threw on a loop. The loop goes on.
 *
 * <p>Called on the loop thread. It must not block and should not throw; if it does, that is
 * logged and ignored. An {@link Error} (such as {@link OutOfMemoryError}) is logged at
 * {@code ERROR} through {@link System.Logger} in addition to reaching this handler, so that it
 * is never swallowed silently.
 */
@FunctionalInterface
public interface LoopErrorHandler {

    /** Logs the error through {@link System.Logger} at {@code ERROR}, with the loop's name. */
    LoopErrorHandler LOG = (loop, error) -> Log.LOGGER.log(System.Logger.Level.ERROR,
            "Uncaught error on loop '" + loop.name() + "'", error);

    void onError(Loop loop, Throwable error);
}

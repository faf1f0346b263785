package dev.loopflux.core;

/**
 * Why a registration ended, or a timer or task was dropped: its loop shut down.
 */
public final class LoopShutdownException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public LoopShutdownException(String message) {
        super(message);
    }
}

package dev.loopflux.core;

import java.time.Duration;

/**
 * Told by the watchdog when one task, timer or handler has kept a loop busy for longer than
 * {@link LoopOptions#blockedThreshold()}. Reported once per blocking run, while it is still
 * running, with the loop thread's stack at that moment.
 *
 * <p>Called on the watchdog thread (not the loop thread); must not block.
 */
@FunctionalInterface
public interface BlockedLoopListener {

    /**
     * @param loop the loop that is blocked
     * @param blockedFor how long the current run had been going when it was seen (at least the
     *     threshold)
     * @param stack the loop thread's stack when it was seen
     */
    void onBlocked(Loop loop, Duration blockedFor, StackTraceElement[] stack);
}

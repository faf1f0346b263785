package dev.loopflux.core;

/**
 * The source of time of a loop: a monotonic count of nanoseconds, like {@link System#nanoTime()}.
 *
 * <p>Timers, timeouts and the select timeout are computed from this clock, so a loop given a
 * {@link ManualClock} runs its time-dependent code deterministically, without sleeping.
 *
 * <p>Implementations must be safe to call from any thread and must never go backwards.
 */
@FunctionalInterface
public interface Clock {

    /** The system's monotonic clock, {@link System#nanoTime()}. */
    Clock SYSTEM = System::nanoTime;

    /** Current time in nanoseconds; only differences between two readings are meaningful. */
    long nanoTime();
}

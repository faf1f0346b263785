package dev.loopflux.core;

import java.time.Duration;
import java.util.Objects;

/**
 * A {@link Clock} that moves only when told to. Used with {@link TestLoop} to test timers and
 * timeouts without waiting.
 *
 * <p>Thread-safe: reads and advances may come from any thread; advances are atomic.
 */
public final class ManualClock implements Clock {
    private volatile long now;

    /** A clock that reads {@code 0} until advanced. */
    public ManualClock() {
        this(0L);
    }

    /** A clock that reads {@code startNanos} until advanced. */
    public ManualClock(long startNanos) {
        this.now = startNanos;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    /**
     * Moves the clock forward by {@code amount}; it runs nothing. To run what falls due, use
     * {@link TestLoop#advanceTimeBy(Duration)}.
     *
     * @throws IllegalArgumentException if {@code amount} is negative
     */
    public synchronized void advance(Duration amount) {
        Objects.requireNonNull(amount, "amount");
        if (amount.isNegative()) {
            throw new IllegalArgumentException("amount < 0: " + amount);
        }
        now += amount.toNanos();
    }

    /**
     * Sets the clock to {@code nanos}, which must not be before the current reading. Compared
     * as nanoTime readings are, by their difference, so a clock may run across the wrap of
     * {@code long}.
     */
    public synchronized void set(long nanos) {
        if (nanos - now < 0) {
            throw new IllegalArgumentException("clock would go backwards: " + nanos + " < " + now);
        }
        now = nanos;
    }

    @Override
    public String toString() {
        return "ManualClock[" + now + "ns]";
    }
}

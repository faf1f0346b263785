package dev.loopflux.core;

import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;

/**
 * A channel registered with one {@link Loop} for its whole life, with an {@link IoHandler} and a
 * set of interest operations.
 *
 * <p>Threading: the interest set and the registration itself belong to the loop thread. The
 * methods here may be called from any thread; off the loop they hop onto it (one task each),
 * on the loop they act at once. Changes made from one thread apply in the order they were made.
 */
public interface IoRegistration {

    /** The registered channel. */
    SelectableChannel channel();

    /** The loop that owns the channel. */
    Loop loop();

    /** The current interest set (bits of {@link SelectionKey}); exact on the loop thread. */
    int interestOps();

    /** Replaces the interest set. No system call: the selector applies it on its next select. */
    void interestOps(int ops);

    /** Adds {@code ops} to the interest set. */
    void addInterest(int ops);

    /** Removes {@code ops} from the interest set. */
    void removeInterest(int ops);

    /**
     * Ends the registration: the key is cancelled and {@link IoHandler#onDeregistered} is
     * called with a {@code null} cause. The channel stays open; closing it is the caller's.
     * Idempotent.
     */
    void cancel();

    /** True until the registration is cancelled, the channel closed or the loop shut down. */
    boolean isValid();
}

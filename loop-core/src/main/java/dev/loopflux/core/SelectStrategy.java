package dev.loopflux.core;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * How a loop waits on its {@link Selector} and wakes it: the seam where a test injects a
 * selector that returns early, or counts wake-ups.
 *
 * <p>Called on the loop thread, except {@link #wakeup}, which any thread may call.
 */
public interface SelectStrategy {

    /** The JDK's own: {@link Selector#select(Consumer, long)} and {@link Selector#wakeup()}. */
    SelectStrategy DEFAULT = new SelectStrategy() {
        @Override
        public int select(Selector selector, Consumer<SelectionKey> action, long timeoutMillis) throws IOException {
            return timeoutMillis < 0 ? selector.selectNow(action) : selector.select(action, timeoutMillis);
        }

        @Override
        public void wakeup(Selector selector) {
            selector.wakeup();
        }
    };

    /**
     * Selects, calling {@code action} on the loop thread for each ready key.
     *
     * @param timeoutMillis negative: do not wait ({@code selectNow}); zero: wait until a key
     *     is ready or {@link #wakeup} is called; positive: wait at most that long
     * @return the number of keys {@code action} was called for
     */
    int select(Selector selector, Consumer<SelectionKey> action, long timeoutMillis) throws IOException;

    /** Makes a select in progress, or the next one, return at once. Any thread. */
    void wakeup(Selector selector);
}

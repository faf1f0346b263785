package dev.loopflux.core;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.concurrent.RejectedExecutionException;

/**
 * The {@link IoRegistration} of one channel: its key (replaced when the selector is rebuilt),
 * its handler, and the once-only end.
 *
 * <p>Threading: fields are loop-thread only; public methods hop onto the loop when called
 * elsewhere.
 */
final class Registration implements IoRegistration {
    private final AbstractLoop loop;
    private final NioDriver driver;
    private final SelectableChannel channel;
    private final IoHandler handler;
    /** The key in the current selector; replaced by {@link NioDriver#rebuild()}. */
    SelectionKey key;
    /** True once {@link IoHandler#onDeregistered} was called. */
    private boolean ended;

    Registration(AbstractLoop loop, NioDriver driver, SelectableChannel channel, IoHandler handler) {
        this.loop = loop;
        this.driver = driver;
        this.channel = channel;
        this.handler = handler;
    }

    /** Loop thread: runs the handler for a ready key; a throw closes this channel only. */
    void ready(SelectionKey readyKey) {
        if (ended || !readyKey.isValid()) {
            return; // an earlier handler in this batch closed us
        }
        try {
            handler.onReady(this, readyKey.readyOps());
        } catch (Throwable error) {
            loop.reportError(error);
            closeChannel(error);
        }
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public Loop loop() {
        return loop;
    }

    @Override
    public int interestOps() {
        SelectionKey k = key;
        return k.isValid() ? k.interestOps() : 0;
    }

    @Override
    public void interestOps(int ops) {
        if (!loop.inLoop()) {
            hop(() -> interestOps(ops));
            return;
        }
        if (ended) {
            return;
        }
        try {
            key.interestOps(ops);
        } catch (CancelledKeyException e) {
            end(new ClosedChannelException()); // the channel was closed behind our back
        }
    }

    @Override
    public void addInterest(int ops) {
        if (!loop.inLoop()) {
            hop(() -> addInterest(ops));
        } else if (!ended && key.isValid()) {
            int current = key.interestOps();
            if ((current & ops) != ops) {
                interestOps(current | ops);
            }
        }
    }

    @Override
    public void removeInterest(int ops) {
        if (!loop.inLoop()) {
            hop(() -> removeInterest(ops));
        } else if (!ended && key.isValid()) {
            int current = key.interestOps();
            if ((current & ops) != 0) {
                interestOps(current & ~ops);
            }
        }
    }

    @Override
    public void cancel() {
        if (!loop.inLoop()) {
            hop(this::cancel);
            return;
        }
        key.cancel();
        end(null);
    }

    @Override
    public boolean isValid() {
        SelectionKey k = key;
        return k != null && k.isValid() && !ended;
    }

    /**
     * Loop thread: cancels the key, closes the channel and ends with {@code cause}. Does nothing
     * once ended: after {@link #cancel()} the channel is the caller's, even while its cancelled
     * key is still in the selector's key set (until the next select).
     */
    void closeChannel(Throwable cause) {
        if (ended) {
            return;
        }
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        end(cause);
    }

    /** Loop thread: tells the handler, once. */
    void end(Throwable cause) {
        if (ended) {
            return;
        }
        ended = true;
        driver.deregistered();
        try {
            handler.onDeregistered(this, cause);
        } catch (Throwable error) {
            loop.reportError(error);
        }
    }

    private void hop(Runnable action) {
        try {
            loop.execute(action);
        } catch (RejectedExecutionException e) {
            // The loop is gone and closed every channel already: nothing left to change.
        }
    }

    @Override
    public String toString() {
        return "Registration[" + channel + " on " + loop.name() + (ended ? ", ended" : "") + "]";
    }
}

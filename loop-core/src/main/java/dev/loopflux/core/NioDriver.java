package dev.loopflux.core;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The selector side of a loop (Netty's {@code NioIoHandler}): owns the {@link Selector},
 * registers channels, selects and dispatches ready keys, wakes the selector, and replaces it
 * when it spins. It knows nothing of threads, tasks or timers; {@link AbstractLoop} drives it.
 * This is the seam where another driver (epoll, io_uring) would plug in.
 *
 * <p>Threading: loop thread only, except {@link #wakeup()}.
 */
final class NioDriver implements Consumer<SelectionKey> {
    private final AbstractLoop loop;
    private final SelectStrategy strategy;
    /** Replaced by {@link #rebuild()}; read by waking threads, hence volatile. */
    private volatile Selector selector;
    /** Keys dispatched by the select in progress. */
    private int dispatched;
    private int registrations;

    NioDriver(AbstractLoop loop, SelectStrategy strategy) throws IOException {
        this.loop = loop;
        this.strategy = strategy;
        this.selector = Selector.open();
    }

    /**
     * Selects and dispatches every ready key to its handler before returning.
     *
     * @param timeoutMillis as in {@link SelectStrategy#select}
     * @return the number of keys dispatched
     */
    int select(long timeoutMillis) throws IOException {
        dispatched = 0;
        strategy.select(selector, this, timeoutMillis);
        return dispatched;
    }

    /** Dispatches one ready key; called by the selector, on the loop thread. */
    @Override
    public void accept(SelectionKey key) {
        dispatched++;
        loop.markRunning();
        ((Registration) key.attachment()).ready(key);
        loop.progressed();
    }

    /** Any thread. */
    void wakeup() {
        strategy.wakeup(selector);
    }

    Registration register(SelectableChannel channel, int ops, IoHandler handler) throws IOException {
        channel.configureBlocking(false);
        Registration registration = new Registration(loop, this, channel, handler);
        registration.key = channel.register(selector, ops, registration);
        registrations++;
        return registration;
    }

    /** Called once by a {@link Registration} as it ends. */
    void deregistered() {
        registrations--;
    }

    int registrations() {
        return registrations;
    }

    /**
     * Moves every valid registration to a new selector and closes the old one (the epoll
     * spin workaround, https://github.com/netty/netty/issues/327 and JDK-6670302). A channel
     * that cannot move ends with the error.
     */
    void rebuild() throws IOException {
        Selector old = selector;
        Selector fresh = Selector.open();
        for (SelectionKey key : old.keys()) {
            Registration registration = (Registration) key.attachment();
            if (!key.isValid()) {
                continue;
            }
            int ops = key.interestOps();
            key.cancel();
            try {
                registration.key = key.channel().register(fresh, ops, registration);
            } catch (ClosedChannelException e) {
                registration.end(e);
            }
        }
        selector = fresh;
        old.close();
    }

    /** Closes every registered channel; each handler is told {@code cause}. */
    void closeAll(Throwable cause) {
        List<Registration> all = new ArrayList<>();
        for (SelectionKey key : selector.keys()) {
            all.add((Registration) key.attachment());
        }
        for (Registration registration : all) {
            registration.closeChannel(cause);
        }
    }

    void close() throws IOException {
        closeAll(new LoopShutdownException("loop '" + loop.name() + "' terminated"));
        selector.close();
    }
}

package dev.loopflux.reactor;

import java.util.concurrent.ThreadFactory;
import reactor.core.scheduler.NonBlocking;

/**
 * The thread of a loop made by this adapter. It is {@link NonBlocking}, so Reactor refuses
 * {@code block()} on it, and BlockHound (with Reactor's integration installed) reports any
 * blocking call made on it.
 */
final class LoopThread extends Thread implements NonBlocking {

    /** Makes non-daemon loop threads; the loop names them. */
    static final ThreadFactory FACTORY = loop -> new LoopThread(loop, false);
    /** Makes daemon loop threads, for the shared default group that must not keep the JVM alive. */
    static final ThreadFactory DAEMON_FACTORY = loop -> new LoopThread(loop, true);

    private LoopThread(Runnable loop, boolean daemon) {
        super(loop);
        setDaemon(daemon);
    }
}

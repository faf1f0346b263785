package dev.loopflux.reactor;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound about Loopflux loops (found through {@code ServiceLoader} when BlockHound is
 * installed): loop threads must not block, and the one place a loop may wait, its select, is
 * allowed. Reactor's own integration already treats every {@code NonBlocking} thread as
 * non-blocking; this adds the loop's own waits.
 */
public final class LoopBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.nonBlockingThreadPredicate(current -> current.or(t -> t instanceof LoopThread));
        // The loop's wait for IO and timers: the only blocking call a loop makes, by design.
        builder.allowBlockingCallsInside("dev.loopflux.core.NioDriver", "select");
        // ...but the handlers that select calls back for each ready key are user code: check them.
        builder.disallowBlockingCallsInside("dev.loopflux.core.NioDriver", "accept");
        // The loop's short spins (spin-then-sleep, and waiting out a producer mid-store at shutdown).
        builder.allowBlockingCallsInside("dev.loopflux.core.AbstractLoop", "spinWait");
        // Handing work to the blocking pool (and taking back work not started) takes the pool queue's
        // lock for a few instructions; under contention that is a short park, never a wait for IO.
        builder.allowBlockingCallsInside("dev.loopflux.core.BlockingPool", "execute");
        builder.allowBlockingCallsInside("dev.loopflux.core.BlockingPool", "remove");
        // Waking a selector takes a short internal lock; it never waits for IO.
        builder.allowBlockingCallsInside("dev.loopflux.core.NioDriver", "wakeup");
        // TLS: the engine draws from SecureRandom inside unwrap (a TLS 1.3 session ticket gets an
        // id); the default source reads /dev/urandom, which never waits for entropy once the system
        // is up. Key generation and certificate checks are not here: they run on the blocking pool.
        builder.allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implNextBytes");
        // Logging may write to a file; it is what reports a blocked loop or a failed task.
        // System.Logger's own frames only cover implementations that keep its default methods;
        // the JDK's default backend overrides them and funnels into java.util.logging.Logger.log
        // (BlockHound's own integration allows Logback's logging in the same way).
        builder.allowBlockingCallsInside("java.lang.System$Logger", "log");
        builder.allowBlockingCallsInside("java.util.logging.Logger", "log");
    }
}

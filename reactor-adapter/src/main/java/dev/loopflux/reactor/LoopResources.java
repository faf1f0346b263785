package dev.loopflux.reactor;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;

/**
 * The loop group that servers and clients use unless given one with {@code runOn}: one loop per
 * core, daemon {@code NonBlocking} threads named {@code loopflux-tcp-N}, created on first use and
 * kept for the life of the JVM (as Reactor Netty's default loop resources are).
 */
final class LoopResources {
    private LoopResources() {
    }

    private static final class Holder {
        static final LoopGroup DEFAULT = LoopGroup.create(LoopOptions.builder()
                .name("loopflux-tcp")
                .threadFactory(LoopThread.DAEMON_FACTORY)
                .build());
    }

    static LoopGroup defaultGroup() {
        return Holder.DEFAULT;
    }
}

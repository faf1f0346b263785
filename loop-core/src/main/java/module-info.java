/**
 * Loopflux core: a {@link java.nio.channels.Selector} event loop that is the scheduler.
 *
 * <p>Only API packages are exported: {@code dev.loopflux.core} (the loop, the blocking pool),
 * {@code dev.loopflux.core.net} (TCP, Unix domain and UDP sockets, framing) and {@code dev.loopflux.core.file} (file
 * IO); everything else is implementation.
 */
module dev.loopflux.core {
    requires transitive org.reactivestreams;

    exports dev.loopflux.core;
    exports dev.loopflux.core.net;
    exports dev.loopflux.core.file;
}

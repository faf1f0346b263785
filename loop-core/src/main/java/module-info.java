/**
 * Loopflux core: a {@link java.nio.channels.Selector} event loop that is the scheduler.
 *
 * <p>Only {@code dev.loopflux.core} is exported; everything else is implementation.
 */
module dev.loopflux.core {
    requires transitive org.reactivestreams;

    exports dev.loopflux.core;
    exports dev.loopflux.core.net;
}

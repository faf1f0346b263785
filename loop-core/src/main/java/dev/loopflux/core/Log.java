package dev.loopflux.core;

/** The logger of loop-core: {@code System.Logger} named {@code dev.loopflux.core}. */
final class Log {
    static final System.Logger LOGGER = System.getLogger("dev.loopflux.core");

    private Log() {
    }
}

package dev.loopflux.core.net;

import java.time.Duration;
import java.util.Objects;

/**
 * Every tunable of TCP and Unix domain stream sockets, for servers, clients and their
 * connections, in one immutable value. Fields a side does not use are ignored there (a client
 * has no backlog). Built with {@link #builder()}; defaults on each accessor.
 *
 * <p>Memory per connection is bounded by these numbers: at most
 * {@link #writeHighWaterMark()} plus one item of pending outbound bytes, and no inbound bytes at
 * all between reads (reads go into a per-loop buffer and are copied out at their exact size).
 *
 * <p>Immutable and thread-safe; a {@link Builder} is not.
 */
public final class TcpOptions {
    private static final TcpOptions DEFAULTS = builder().build();

    private final int backlog;
    private final boolean reuseAddress;
    private final boolean tcpNoDelay;
    private final int sendBufferSize;
    private final int receiveBufferSize;
    private final int maxConnections;
    private final int readBufferSize;
    private final int maxReadsPerReadiness;
    private final int writeHighWaterMark;
    private final Duration readIdleTimeout;
    private final Duration writeIdleTimeout;
    private final Duration idleTimeout;
    private final Duration connectTimeout;
    private final TlsOptions tls;

    private TcpOptions(Builder b) {
        backlog = b.backlog;
        reuseAddress = b.reuseAddress;
        tcpNoDelay = b.tcpNoDelay;
        sendBufferSize = b.sendBufferSize;
        receiveBufferSize = b.receiveBufferSize;
        maxConnections = b.maxConnections;
        readBufferSize = b.readBufferSize;
        maxReadsPerReadiness = b.maxReadsPerReadiness;
        writeHighWaterMark = b.writeHighWaterMark;
        readIdleTimeout = b.readIdleTimeout;
        writeIdleTimeout = b.writeIdleTimeout;
        idleTimeout = b.idleTimeout;
        connectTimeout = b.connectTimeout;
        tls = b.tls;
    }

    public static TcpOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Server: length of the kernel's queue of connections not yet accepted. Default 1024. */
    public int backlog() {
        return backlog;
    }

    /** Server: {@code SO_REUSEADDR}. Default true. */
    public boolean reuseAddress() {
        return reuseAddress;
    }

    /** {@code TCP_NODELAY} (TCP only). Default true: small writes go out at once. */
    public boolean tcpNoDelay() {
        return tcpNoDelay;
    }

    /** {@code SO_SNDBUF} in bytes; 0 leaves the system default. Default 0. */
    public int sendBufferSize() {
        return sendBufferSize;
    }

    /** {@code SO_RCVBUF} in bytes; 0 leaves the system default. Default 0. */
    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    /** Server: open connections at most; past it new ones are closed at once and counted. Default 10,000. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Largest chunk one read hands to {@code onNext}. Default 64 KiB. */
    public int readBufferSize() {
        return readBufferSize;
    }

    /** Reads per readiness event, so one busy connection cannot starve the others. Default 16. */
    public int maxReadsPerReadiness() {
        return maxReadsPerReadiness;
    }

    /**
     * Outbound bytes accepted from a sender and not yet taken by the kernel, above which no more
     * are requested from it. Default 64 KiB.
     */
    public int writeHighWaterMark() {
        return writeHighWaterMark;
    }

    /** Close with {@link ReadIdleTimeoutException} when nothing was read this long while reading was wanted; zero: off. Default off. */
    public Duration readIdleTimeout() {
        return readIdleTimeout;
    }

    /** Close with {@link WriteIdleTimeoutException} when nothing was written this long; zero: off. Default off. */
    public Duration writeIdleTimeout() {
        return writeIdleTimeout;
    }

    /** Close with {@link IdleTimeoutException} when nothing was read nor written this long; zero: off. Default off. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Client: how long a connect may take. Default 10 s. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** TLS on every connection, or null for plain bytes. Default null. See {@link TlsOptions}. */
    public TlsOptions tls() {
        return tls;
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private int backlog = 1024;
        private boolean reuseAddress = true;
        private boolean tcpNoDelay = true;
        private int sendBufferSize;
        private int receiveBufferSize;
        private int maxConnections = 10_000;
        private int readBufferSize = 64 * 1024;
        private int maxReadsPerReadiness = 16;
        private int writeHighWaterMark = 64 * 1024;
        private Duration readIdleTimeout = Duration.ZERO;
        private Duration writeIdleTimeout = Duration.ZERO;
        private Duration idleTimeout = Duration.ZERO;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private TlsOptions tls;

        private Builder() {
        }

        /** TLS on every connection: a server's options on a server, a client's on a client; null for none. */
        public Builder tls(TlsOptions tls) {
            this.tls = tls;
            return this;
        }

        public Builder backlog(int backlog) {
            this.backlog = atLeast("backlog", backlog, 1);
            return this;
        }

        public Builder reuseAddress(boolean reuseAddress) {
            this.reuseAddress = reuseAddress;
            return this;
        }

        public Builder tcpNoDelay(boolean tcpNoDelay) {
            this.tcpNoDelay = tcpNoDelay;
            return this;
        }

        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = atLeast("sendBufferSize", bytes, 0);
            return this;
        }

        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = atLeast("receiveBufferSize", bytes, 0);
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = atLeast("maxConnections", maxConnections, 1);
            return this;
        }

        /** @throws IllegalArgumentException unless in [64, 16 MiB] */
        public Builder readBufferSize(int bytes) {
            if (bytes < 64 || bytes > 16 << 20) {
                throw new IllegalArgumentException("readBufferSize not in [64, 16 MiB]: " + bytes);
            }
            this.readBufferSize = bytes;
            return this;
        }

        public Builder maxReadsPerReadiness(int reads) {
            this.maxReadsPerReadiness = atLeast("maxReadsPerReadiness", reads, 1);
            return this;
        }

        public Builder writeHighWaterMark(int bytes) {
            this.writeHighWaterMark = atLeast("writeHighWaterMark", bytes, 1);
            return this;
        }

        public Builder readIdleTimeout(Duration timeout) {
            this.readIdleTimeout = nonNegative("readIdleTimeout", timeout);
            return this;
        }

        public Builder writeIdleTimeout(Duration timeout) {
            this.writeIdleTimeout = nonNegative("writeIdleTimeout", timeout);
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = nonNegative("idleTimeout", timeout);
            return this;
        }

        /** @throws IllegalArgumentException unless positive */
        public Builder connectTimeout(Duration timeout) {
            nonNegative("connectTimeout", timeout);
            if (timeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout is zero");
            }
            this.connectTimeout = timeout;
            return this;
        }

        public TcpOptions build() {
            return new TcpOptions(this);
        }

        private static int atLeast(String name, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(name + " < " + min + ": " + value);
            }
            return value;
        }

        private static Duration nonNegative(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative()) {
                throw new IllegalArgumentException(name + " < 0: " + value);
            }
            return value;
        }
    }
}

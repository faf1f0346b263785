package dev.loopflux.core.net;

import java.net.NetworkInterface;
import java.util.Objects;

/**
 * Every tunable of a {@link UdpEndpoint}, in one immutable value. Built with {@link #builder()};
 * defaults on each accessor.
 *
 * <p>Memory per endpoint is bounded by these numbers: no received datagram is held between reads
 * (each is read into a per-loop buffer and copied out at its exact size), and at most
 * {@link #sendHighWaterMark()} datagrams of at most {@link #maxDatagramSize()} bytes each wait to
 * be sent.
 *
 * <p>Immutable and thread-safe; a {@link Builder} is not.
 */
public final class UdpOptions {
    /** The largest UDP payload over IPv4: 65,535 minus an 8-byte UDP and a 20-byte IP header. */
    public static final int MAX_IPV4_PAYLOAD = 65_507;
    private static final UdpOptions DEFAULTS = builder().build();

    private final int receiveBufferSize;
    private final int sendBufferSize;
    private final int maxDatagramSize;
    private final int sendHighWaterMark;
    private final int maxReadsPerReadiness;
    private final boolean reuseAddress;
    private final NetworkInterface multicastInterface;
    private final boolean multicastLoopback;

    private UdpOptions(Builder b) {
        receiveBufferSize = b.receiveBufferSize;
        sendBufferSize = b.sendBufferSize;
        maxDatagramSize = b.maxDatagramSize;
        sendHighWaterMark = b.sendHighWaterMark;
        maxReadsPerReadiness = b.maxReadsPerReadiness;
        reuseAddress = b.reuseAddress;
        multicastInterface = b.multicastInterface;
        multicastLoopback = b.multicastLoopback;
    }

    public static UdpOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.receiveBufferSize = receiveBufferSize;
        b.sendBufferSize = sendBufferSize;
        b.maxDatagramSize = maxDatagramSize;
        b.sendHighWaterMark = sendHighWaterMark;
        b.maxReadsPerReadiness = maxReadsPerReadiness;
        b.reuseAddress = reuseAddress;
        b.multicastInterface = multicastInterface;
        b.multicastLoopback = multicastLoopback;
        return b;
    }

    /**
     * {@code SO_RCVBUF} in bytes; 0 leaves the system default. Default 0. This is where datagrams
     * wait while the receiver has no demand; when it is full, the kernel drops new ones.
     */
    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    /** {@code SO_SNDBUF} in bytes; 0 leaves the system default. Default 0. */
    public int sendBufferSize() {
        return sendBufferSize;
    }

    /**
     * Largest payload sent or received, in bytes. Default {@value #MAX_IPV4_PAYLOAD}. A larger
     * datagram given to {@code send} fails that send with {@link DatagramTooLargeException}; a
     * larger one received is dropped and counted in {@link UdpEndpoint#oversizeDropped()}.
     */
    public int maxDatagramSize() {
        return maxDatagramSize;
    }

    /**
     * Datagrams accepted from a sender and not yet taken by the kernel, at which no more are
     * requested from it. Default 64.
     */
    public int sendHighWaterMark() {
        return sendHighWaterMark;
    }

    /**
     * Datagrams received per readiness event at most, so one busy endpoint cannot starve the
     * loop's other channels. Default 16. After an event that found a datagram alone, the next
     * few events read one each (the selector reports the socket again at once if more wait):
     * that spares the receive that would only come back empty.
     */
    public int maxReadsPerReadiness() {
        return maxReadsPerReadiness;
    }

    /**
     * {@code SO_REUSEADDR}. Default false, so that binding a port in use fails; set it (on every
     * socket) to let several endpoints bind one multicast port.
     */
    public boolean reuseAddress() {
        return reuseAddress;
    }

    /** {@code IP_MULTICAST_IF}: the interface multicast datagrams go out on; null leaves the system's choice. Default null. */
    public NetworkInterface multicastInterface() {
        return multicastInterface;
    }

    /** {@code IP_MULTICAST_LOOP}: multicast datagrams sent are looped back to this host's members. Default true. */
    public boolean multicastLoopback() {
        return multicastLoopback;
    }

    @Override
    public String toString() {
        return "UdpOptions[maxDatagramSize=" + maxDatagramSize + ", sendHighWaterMark=" + sendHighWaterMark
                + ", receiveBufferSize=" + receiveBufferSize + ", sendBufferSize=" + sendBufferSize
                + ", maxReadsPerReadiness=" + maxReadsPerReadiness + ", reuseAddress=" + reuseAddress
                + ", multicastInterface=" + (multicastInterface == null ? "default" : multicastInterface.getName())
                + ", multicastLoopback=" + multicastLoopback + "]";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private int receiveBufferSize;
        private int sendBufferSize;
        private int maxDatagramSize = MAX_IPV4_PAYLOAD;
        private int sendHighWaterMark = 64;
        private int maxReadsPerReadiness = 16;
        private boolean reuseAddress;
        private NetworkInterface multicastInterface;
        private boolean multicastLoopback = true;

        private Builder() {
        }

        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = atLeast("receiveBufferSize", bytes, 0);
            return this;
        }

        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = atLeast("sendBufferSize", bytes, 0);
            return this;
        }

        /** @throws IllegalArgumentException unless in [1, 65,535] */
        public Builder maxDatagramSize(int bytes) {
            if (bytes < 1 || bytes > 65_535) {
                throw new IllegalArgumentException("maxDatagramSize not in [1, 65535]: " + bytes);
            }
            this.maxDatagramSize = bytes;
            return this;
        }

        /** @throws IllegalArgumentException unless in [1, 65,536] */
        public Builder sendHighWaterMark(int datagrams) {
            if (datagrams < 1 || datagrams > 65_536) {
                throw new IllegalArgumentException("sendHighWaterMark not in [1, 65536]: " + datagrams);
            }
            this.sendHighWaterMark = datagrams;
            return this;
        }

        public Builder maxReadsPerReadiness(int reads) {
            this.maxReadsPerReadiness = atLeast("maxReadsPerReadiness", reads, 1);
            return this;
        }

        public Builder reuseAddress(boolean reuseAddress) {
            this.reuseAddress = reuseAddress;
            return this;
        }

        /** The interface for outgoing multicast; null for the system's choice. */
        public Builder multicastInterface(NetworkInterface nif) {
            this.multicastInterface = nif;
            return this;
        }

        public Builder multicastLoopback(boolean loopback) {
            this.multicastLoopback = loopback;
            return this;
        }

        public UdpOptions build() {
            return new UdpOptions(this);
        }

        private static int atLeast(String name, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(name + " < " + min + ": " + value);
            }
            return value;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UdpOptions u && receiveBufferSize == u.receiveBufferSize && sendBufferSize == u.sendBufferSize
                && maxDatagramSize == u.maxDatagramSize && sendHighWaterMark == u.sendHighWaterMark
                && maxReadsPerReadiness == u.maxReadsPerReadiness && reuseAddress == u.reuseAddress
                && Objects.equals(multicastInterface, u.multicastInterface) && multicastLoopback == u.multicastLoopback;
    }

    @Override
    public int hashCode() {
        return Objects.hash(receiveBufferSize, sendBufferSize, maxDatagramSize, sendHighWaterMark, maxReadsPerReadiness,
                reuseAddress, multicastInterface, multicastLoopback);
    }
}

package dev.loopflux.core.net;

/**
 * A frame is longer than the configured limit: a line with no delimiter within the limit, or a
 * length field announcing more than the limit. Raised as soon as it is known, before the frame's
 * bytes are buffered (a length field is rejected from the header alone).
 *
 * <p>The message names the size, the limit and the peer:
 * {@code "frame of 70000 bytes exceeds the limit of 65536 from 127.0.0.1:5555"}.
 */
public final class FrameTooLongException extends FramingException {

    private static final long serialVersionUID = 1L;

    /** The frame's length: exact for a length field or a delimited line, a lower bound otherwise. */
    private final long size;
    /** The configured maximum frame length, in bytes, delimiter and length field excluded. */
    private final int limit;

    private FrameTooLongException(String message, long size, int limit, String peer) {
        super(message, peer);
        this.size = size;
        this.limit = limit;
    }

    /** A length field announced {@code length} bytes, more than {@code limit}. */
    static FrameTooLongException announced(long length, int limit, String peer) {
        return new FrameTooLongException(
                "frame of " + length + " bytes exceeds the limit of " + limit + " from " + peer, length, limit, peer);
    }

    /**
     * A line is too long. {@code exact} when its delimiter was seen; otherwise {@code size} is how
     * much of it was seen, which is where reading stopped.
     */
    static FrameTooLongException line(long size, boolean exact, int limit, String peer) {
        String what = exact ? "line of " + size : "line of at least " + size;
        return new FrameTooLongException(
                what + " bytes exceeds the limit of " + limit + " from " + peer, size, limit, peer);
    }

    /** The configured maximum frame length, in bytes (delimiter and length field excluded). */
    public int limit() {
        return limit;
    }

    /**
     * The length of the offending frame in bytes: as announced by its length field, or for a line,
     * its length if its delimiter was seen, else the number of bytes seen when reading stopped (a
     * lower bound, just over the limit: the rest is never read).
     */
    public long size() {
        return size;
    }
}

package dev.loopflux.core.net;

/**
 * The bytes cannot be framed at all: a negative length field, or a stream that ended in the middle
 * of a frame (or of its length field).
 *
 * <p>Messages name what was wrong and the peer, for example
 * {@code "negative frame length -2 from 127.0.0.1:5555"} or
 * {@code "truncated frame: end of stream after 3 of 10 bytes, 7 missing, from 127.0.0.1:5555"}.
 */
public final class CorruptedFrameException extends FramingException {

    private static final long serialVersionUID = 1L;

    CorruptedFrameException(String message, String peer) {
        super(message, peer);
    }

    /** A 4-byte length field held a negative value. */
    static CorruptedFrameException negativeLength(int length, String peer) {
        return new CorruptedFrameException("negative frame length " + length + " from " + peer, peer);
    }

    /** The stream ended after {@code got} of the {@code expected} bytes of a frame (or its length field, per {@code what}). */
    static CorruptedFrameException truncated(String what, long got, long expected, String peer) {
        return new CorruptedFrameException("truncated frame: end of stream after " + got + " of " + expected + " "
                + what + ", " + (expected - got) + " missing, from " + peer, peer);
    }
}

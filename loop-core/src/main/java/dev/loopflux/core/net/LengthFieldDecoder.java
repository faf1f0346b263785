package dev.loopflux.core.net;

import java.nio.ByteBuffer;

/**
 * Frames are a big-endian length field of 1, 2 or 4 bytes (1 and 2 unsigned, 4 signed with negative
 * values rejected), then that many bytes. A zero length is a legal, empty frame.
 *
 * <p>Bound: the body array is allocated once the header is read and checked, so it is at most
 * {@code max} bytes; a header announcing more fails before any allocation.
 */
final class LengthFieldDecoder implements FrameDecoder {

    private final int fieldLength;
    private final int max;
    private final String peer;
    /** Bytes of the length field read so far; {@code fieldLength} while the body is being read. */
    private int headerRead;
    /** The length field's bytes read so far, big-endian. */
    private int header;
    /** The body of the current frame, or {@code null} while reading a header. */
    private byte[] body;
    /** Bytes of {@link #body} received so far. */
    private int filled;

    LengthFieldDecoder(int fieldLength, int max, String peer) {
        this.fieldLength = fieldLength;
        this.max = max;
        this.peer = peer;
    }

    @Override
    public ByteBuffer decode(ByteBuffer chunk) throws FramingException {
        if (body == null) {
            while (headerRead < fieldLength) {
                if (!chunk.hasRemaining()) {
                    return null;
                }
                header = (header << 8) | (chunk.get() & 0xFF);
                headerRead++;
            }
            // For 1 and 2 bytes the shifts cannot reach the sign bit: those lengths are unsigned.
            if (header < 0) {
                throw CorruptedFrameException.negativeLength(header, peer);
            }
            if (header > max) {
                throw FrameTooLongException.announced(header, max, peer);
            }
            body = new byte[header];
            filled = 0;
        }
        int n = Math.min(chunk.remaining(), body.length - filled);
        chunk.get(body, filled, n);
        filled += n;
        if (filled < body.length) {
            return null;
        }
        ByteBuffer frame = ByteBuffer.wrap(body);
        body = null;
        headerRead = 0;
        header = 0;
        return frame;
    }

    @Override
    public ByteBuffer finish() throws FramingException {
        if (body != null) {
            throw CorruptedFrameException.truncated("bytes", filled, body.length, peer);
        }
        if (headerRead > 0) {
            throw CorruptedFrameException.truncated("length-field bytes", headerRead, fieldLength, peer);
        }
        return null;
    }
}

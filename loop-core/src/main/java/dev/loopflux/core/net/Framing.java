package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.reactivestreams.Publisher;

/**
 * Cuts a byte stream, given as a {@code Publisher<ByteBuffer>} of chunks of any sizes, into frames:
 * lines, or length-prefixed messages.
 *
 * <h2>Contract of the returned publishers</h2>
 * <ul>
 *   <li><b>Cold.</b> Each {@code subscribe} subscribes to {@code chunks} anew, with its own
 *       decoding state. Whether that replays the bytes is up to {@code chunks} (a connection's
 *       inbound publisher, for one, accepts a single subscriber).</li>
 *   <li><b>Threads.</b> {@code request} and {@code cancel} may be called from any thread, at any
 *       time. Signals are serialized (never concurrent, each one happens-before the next) and are
 *       delivered on the thread of the chunk publisher's signal that made them possible or, when a
 *       frame was already buffered, on the thread that called {@code request}. Over a Loopflux
 *       connection, request from the loop thread (as a pipeline pinned to the loop does) and every
 *       signal stays on the loop.</li>
 *   <li><b>Backpressure.</b> Never more frames than requested. Chunks are requested upstream one at
 *       a time, and only while a frame is requested and none is buffered. Memory held per
 *       subscription: the current chunk and one partial frame, at most the limit (plus one byte for
 *       lines, where a {@code '\r'} may start the delimiter).</li>
 *   <li><b>Buffers.</b> Each frame is a new heap buffer owned by the subscriber: position 0, limit
 *       the frame's length; nothing to release. The chunks' contents are never written; their
 *       positions are moved as they are read.</li>
 *   <li><b>Errors.</b> Bad input (a frame over the limit, a negative length, a stream that ends in
 *       the middle of a frame) cancels the chunk publisher and fails the stream once with a
 *       {@link FramingException} naming the peer; no signal follows. Frames already complete
 *       before the bad bytes are delivered first, as requested. An error from the chunk publisher
 *       is passed on after the frames already complete in the chunks received; a partial frame is
 *       dropped.</li>
 *   <li><b>Reactive Streams 1.0.4.</b> {@code request(n <= 0)} fails the stream with an
 *       {@link IllegalArgumentException} (rule 3.9); demand adds up and is unbounded from
 *       {@code Long.MAX_VALUE} on; {@code cancel} is passed upstream and stops the signals, and the
 *       subscriber is no longer referenced.</li>
 * </ul>
 *
 * <p>Factories check their arguments at once: a {@code null} publisher or peer throws
 * {@link NullPointerException}, a bad number {@link IllegalArgumentException} naming it. They are
 * safe to call from any thread.
 */
public final class Framing {

    private Framing() {
    }

    /**
     * The lines a connection receives: {@link #lines(Publisher, int, String)} over
     * {@code connection.inbound()}, with every signal kept on the connection's loop (a request
     * from another thread hops onto it).
     */
    public static Publisher<ByteBuffer> lines(Connection connection, int maxLineLength) {
        Objects.requireNonNull(connection, "connection");
        Publisher<ByteBuffer> framed = lines(connection.inbound(), maxLineLength, Peers.describe(connection.remoteAddress()));
        return new LoopBoundPublisher<>(framed, connection.loop());
    }

    /**
     * The length-prefixed frames a connection receives: {@link #lengthPrefixed(Publisher, int, int, String)}
     * over {@code connection.inbound()}, with every signal kept on the connection's loop.
     */
    public static Publisher<ByteBuffer> lengthPrefixed(Connection connection, int fieldLength, int maxFrameLength) {
        Objects.requireNonNull(connection, "connection");
        Publisher<ByteBuffer> framed = lengthPrefixed(connection.inbound(), fieldLength, maxFrameLength,
                Peers.describe(connection.remoteAddress()));
        return new LoopBoundPublisher<>(framed, connection.loop());
    }

    /**
     * Lines: each frame is the bytes before a {@code '\n'}, with a {@code '\r'} just before the
     * {@code '\n'} stripped too; the delimiter is never part of the frame, and an empty line is an
     * empty frame. A lone {@code '\r'} elsewhere is an ordinary byte.
     *
     * <p>A line longer than {@code maxLineLength} bytes (delimiter excluded) fails the stream with a
     * {@link FrameTooLongException} as soon as that is known, after reading at most
     * {@code maxLineLength + 2} of its bytes: the rest is never buffered.
     *
     * <p>At end of stream, bytes after the last {@code '\n'}, if any, are emitted as a final frame,
     * unchanged (there is no delimiter, so not even a trailing {@code '\r'} is stripped; if that
     * {@code '\r'} makes the line too long, the stream fails instead), then {@code onComplete}. A
     * protocol that must reject an unterminated last line can do so downstream; silently dropping
     * the data that a peer sent before closing is the worse default.
     *
     * @param chunks the byte stream, in chunks of any sizes, empty ones included
     * @param maxLineLength the longest line accepted, in bytes, delimiter excluded; at least 1
     * @param peer who sends the bytes, for error messages (e.g. {@code "127.0.0.1:5555"})
     * @return a cold publisher of lines, as described in the {@linkplain Framing class contract}
     * @throws NullPointerException if {@code chunks} or {@code peer} is null
     * @throws IllegalArgumentException if {@code maxLineLength < 1}
     */
    public static Publisher<ByteBuffer> lines(Publisher<ByteBuffer> chunks, int maxLineLength, String peer) {
        Objects.requireNonNull(chunks, "chunks");
        Objects.requireNonNull(peer, "peer");
        if (maxLineLength < 1) {
            throw new IllegalArgumentException("maxLineLength < 1: " + maxLineLength);
        }
        return new FramedPublisher(chunks, () -> new LineDecoder(maxLineLength, peer));
    }

    /**
     * Length-prefixed frames: a big-endian length field of {@code fieldLength} bytes, then that many
     * bytes of frame. Lengths in 1- and 2-byte fields are unsigned (up to 255 and 65535); a 4-byte
     * field is signed, and a negative length fails the stream with a {@link CorruptedFrameException}.
     * A zero length is a legal, empty frame.
     *
     * <p>A length over {@code maxFrameLength} fails the stream with a {@link FrameTooLongException}
     * as soon as the length field is read, before anything is allocated for the frame.
     *
     * <p>At end of stream between frames, {@code onComplete}. In the middle of a frame or of its
     * length field, a {@link CorruptedFrameException} ("truncated frame") saying how many bytes were
     * missing, after the frames completed before it.
     *
     * @param chunks the byte stream, in chunks of any sizes, empty ones included
     * @param fieldLength the length field's size: 1, 2 or 4 bytes
     * @param maxFrameLength the longest frame accepted, in bytes, length field excluded; at least 0
     * @param peer who sends the bytes, for error messages (e.g. {@code "127.0.0.1:5555"})
     * @return a cold publisher of frames (without their length fields), as described in the
     *     {@linkplain Framing class contract}
     * @throws NullPointerException if {@code chunks} or {@code peer} is null
     * @throws IllegalArgumentException if {@code fieldLength} is not 1, 2 or 4, or
     *     {@code maxFrameLength < 0}
     */
    public static Publisher<ByteBuffer> lengthPrefixed(
            Publisher<ByteBuffer> chunks, int fieldLength, int maxFrameLength, String peer) {
        Objects.requireNonNull(chunks, "chunks");
        Objects.requireNonNull(peer, "peer");
        checkFieldLength(fieldLength);
        if (maxFrameLength < 0) {
            throw new IllegalArgumentException("maxFrameLength < 0: " + maxFrameLength);
        }
        return new FramedPublisher(chunks, () -> new LengthFieldDecoder(fieldLength, maxFrameLength, peer));
    }

    /**
     * Encodes one frame for {@link #lengthPrefixed}: a new buffer holding the big-endian length field,
     * then the payload's remaining bytes, with position 0 and limit at the end. The payload's
     * position, limit and contents are left as they were. Safe to call from any thread (the payload
     * must not be written to meanwhile).
     *
     * @param payload the frame's bytes: those between its position and its limit
     * @param fieldLength the length field's size: 1, 2 or 4 bytes
     * @return a new buffer of {@code fieldLength + payload.remaining()} bytes
     * @throws NullPointerException if {@code payload} is null
     * @throws IllegalArgumentException if {@code fieldLength} is not 1, 2 or 4, or the payload is
     *     longer than the field can state (255, 65535 or {@code Integer.MAX_VALUE - 4} bytes)
     */
    public static ByteBuffer encodeLengthPrefixed(ByteBuffer payload, int fieldLength) {
        Objects.requireNonNull(payload, "payload");
        checkFieldLength(fieldLength);
        int length = payload.remaining();
        // For 4 bytes the field could say more, but header and payload must fit one buffer.
        int most = switch (fieldLength) {
            case 1 -> 0xFF;
            case 2 -> 0xFFFF;
            default -> Integer.MAX_VALUE - 4;
        };
        if (length > most) {
            throw new IllegalArgumentException("payload of " + length + " bytes does not fit a "
                    + fieldLength + "-byte length field (at most " + most + ")");
        }
        ByteBuffer frame = ByteBuffer.allocate(fieldLength + length);
        switch (fieldLength) {
            case 1 -> frame.put((byte) length);
            case 2 -> frame.putShort((short) length);
            default -> frame.putInt(length);
        }
        frame.put(payload.duplicate()); // a duplicate: the caller's position stays put
        return frame.flip();
    }

    private static void checkFieldLength(int fieldLength) {
        if (fieldLength != 1 && fieldLength != 2 && fieldLength != 4) {
            throw new IllegalArgumentException("fieldLength not 1, 2 or 4: " + fieldLength);
        }
    }
}

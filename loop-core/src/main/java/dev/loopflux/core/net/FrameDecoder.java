package dev.loopflux.core.net;

import java.nio.ByteBuffer;

/**
 * The stateful half of a framing: cuts a byte stream, handed over chunk by chunk, into frames.
 *
 * <p>One instance per subscription, used only from inside that subscription's drain loop, so
 * never by two threads at once (the loop's atomic entry counter orders the calls). It holds at
 * most one partial frame, bounded by the framing's limit.
 */
interface FrameDecoder {

    /**
     * Reads {@code chunk} from its position up to the end of the next frame and returns that frame
     * (a new buffer, position 0, limit its length), leaving the chunk's position just after it; or,
     * if the chunk ends before the frame does, keeps what it read as the partial frame, moves the
     * chunk's position to its limit and returns {@code null}. Never writes to the chunk's contents.
     *
     * @throws FramingException if the bytes are not a valid frame (too long, corrupted)
     */
    ByteBuffer decode(ByteBuffer chunk) throws FramingException;

    /**
     * The stream has ended: returns the final frame made of the pending bytes, or {@code null} if no
     * bytes are pending. Called at most once, after the last {@link #decode}.
     *
     * @throws FramingException if the pending bytes cannot end the stream (a truncated frame)
     */
    ByteBuffer finish() throws FramingException;
}

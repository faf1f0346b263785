package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Frames end at {@code '\n'}, and a {@code '\r'} just before it is stripped too. At end of stream,
 * pending bytes form a final line, as they are (there is no delimiter to strip).
 *
 * <p>Bound: the partial line holds at most {@code max + 1} bytes (the line's {@code max} bytes and a
 * {@code '\r'} that may turn out to be the first half of the delimiter); one byte more and the line
 * is known to be too long.
 */
final class LineDecoder implements FrameDecoder {

    /** First size of the partial-line array: most lines are short, so a long limit costs nothing up front. */
    private static final int INITIAL_CAPACITY = 128;
    /** The largest array HotSpot allocates; only a limit near Integer.MAX_VALUE gets there. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final int max;
    private final String peer;
    /** The current line's bytes received so far, in {@code [0, partialLength)}; may end in {@code '\r'}. */
    private byte[] partial = new byte[0];
    /** Number of valid bytes in {@link #partial}, at most {@code max + 1}. */
    private int partialLength;

    LineDecoder(int max, String peer) {
        this.max = max;
        this.peer = peer;
    }

    @Override
    public ByteBuffer decode(ByteBuffer chunk) throws FramingException {
        int pos = chunk.position();
        int lim = chunk.limit();
        // Look for '\n' only where it can still end a legal line: after at most max + 1 bytes in
        // all (the line, then a '\r'). Past that the line is too long whatever follows.
        long room = (long) max + 1 - partialLength;
        int scanEnd = (int) Math.min(lim, pos + room + 1);
        for (int i = pos; i < scanEnd; i++) {
            if (chunk.get(i) == '\n') {
                return line(chunk, pos, i);
            }
        }
        long seen = partialLength + (long) (scanEnd - pos);
        long atLeast = seen - (lastByte(chunk, pos, scanEnd) == '\r' ? 1 : 0);
        if (atLeast > max) {
            throw FrameTooLongException.line(atLeast, false, max, peer);
        }
        // scanEnd == lim here: the whole chunk fits in the partial line.
        append(chunk, pos, lim - pos);
        chunk.position(lim);
        return null;
    }

    @Override
    public ByteBuffer finish() throws FramingException {
        if (partialLength == 0) {
            return null;
        }
        if (partialLength > max) { // max + 1 bytes ending in '\r', and no '\n' came to strip it
            throw FrameTooLongException.line(partialLength, true, max, peer);
        }
        ByteBuffer last = ByteBuffer.wrap(Arrays.copyOf(partial, partialLength));
        partialLength = 0;
        partial = null;
        return last;
    }

    /** The line ends at the {@code '\n'} at index {@code nl} of the chunk, which starts at {@code pos}. */
    private ByteBuffer line(ByteBuffer chunk, int pos, int nl) throws FrameTooLongException {
        long content = (long) partialLength + (nl - pos);
        if (lastByte(chunk, pos, nl) == '\r') {
            content--;
        }
        if (content > max) {
            throw FrameTooLongException.line(content, true, max, peer);
        }
        int length = (int) content;
        byte[] frame = new byte[length];
        int fromPartial = Math.min(partialLength, length); // less than partialLength if it ends in the '\r'
        System.arraycopy(partial, 0, frame, 0, fromPartial);
        chunk.get(pos, frame, fromPartial, length - fromPartial);
        chunk.position(nl + 1);
        partialLength = 0;
        if (partial.length > INITIAL_CAPACITY) {
            partial = new byte[0]; // a long line was the exception: do not keep its memory per connection
        }
        return ByteBuffer.wrap(frame);
    }

    /** The last byte of the partial line followed by chunk bytes {@code [pos, end)}, or -1 if there is none. */
    private int lastByte(ByteBuffer chunk, int pos, int end) {
        if (end > pos) {
            return chunk.get(end - 1);
        }
        return partialLength > 0 ? partial[partialLength - 1] : -1;
    }

    /** Appends {@code n} chunk bytes from {@code pos}; the caller checked that the total stays within max + 1. */
    private void append(ByteBuffer chunk, int pos, int n) {
        long needed = (long) partialLength + n; // <= max + 1 (checked by the caller), which may exceed an int
        if (needed > partial.length) {
            if (needed > MAX_ARRAY) {
                throw new OutOfMemoryError("a partial line of " + needed + " bytes does not fit an array");
            }
            long grown = Math.max(needed, Math.max(INITIAL_CAPACITY, 2L * partial.length));
            partial = Arrays.copyOf(partial, (int) Math.min(grown, Math.min((long) max + 1, MAX_ARRAY)));
        }
        chunk.get(pos, partial, partialLength, n);
        partialLength = (int) needed;
    }
}

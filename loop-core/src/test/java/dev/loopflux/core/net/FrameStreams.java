package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.function.LongFunction;

/** Test data: frame contents, their encodings, and awkward ways to cut the byte stream into chunks. */
final class FrameStreams {

    private FrameStreams() {
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Frame {@code i} of a generated stream: varied lengths, every fifth one empty, a lone '\r' inside some. */
    static String content(long i) {
        if (i % 5 == 4) {
            return "";
        }
        return "#" + i + (i % 3 == 1 ? "a\rb" : "") + "x".repeat((int) (i % 11));
    }

    /** Frame {@code i} as a line, ending in "\r\n" or "\n". */
    static byte[] line(long i) {
        return ascii(content(i) + (i % 2 == 0 ? "\r\n" : "\n"));
    }

    /** Frame {@code i} with a 2-byte length field. */
    static byte[] lengthPrefixed(long i) {
        ByteBuffer b = Framing.encodeLengthPrefixed(bytes(content(i)), 2);
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    /** Chunk sizes that put the cuts everywhere: inside delimiters and length fields, and many frames at once. */
    private static final int[] SIZES = {1, 1, 2, 3, 5, 7, 0, 13, 64};

    /**
     * The encodings of frames {@code 0..frames-1}, concatenated and cut into chunks of sizes drawn
     * from {@link #SIZES} with a seeded Random. Lazy: an endless or huge stream costs nothing up front.
     */
    static Iterator<ByteBuffer> chunked(long frames, LongFunction<byte[]> encode, long seed) {
        return new Iterator<>() {
            private final Random random = new Random(seed);
            private byte[] current = new byte[0];
            private int offset;
            private long next;

            @Override
            public boolean hasNext() {
                return offset < current.length || next < frames;
            }

            @Override
            public ByteBuffer next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int size = SIZES[random.nextInt(SIZES.length)];
                ByteBuffer chunk = ByteBuffer.allocate(size);
                while (chunk.hasRemaining() && hasNext()) {
                    if (offset == current.length) {
                        current = encode.apply(next++);
                        offset = 0;
                        continue;
                    }
                    int n = Math.min(chunk.remaining(), current.length - offset);
                    chunk.put(current, offset, n);
                    offset += n;
                }
                return chunk.flip();
            }
        };
    }

    /** {@code all} cut at random places into chunks of 0 to {@code maxChunk} bytes, each chunk its own copy. */
    static List<ByteBuffer> split(byte[] all, Random random, int maxChunk) {
        List<ByteBuffer> chunks = new ArrayList<>();
        int at = 0;
        while (at < all.length) {
            int n = Math.min(all.length - at, random.nextInt(maxChunk + 1));
            byte[] c = new byte[n];
            System.arraycopy(all, at, c, 0, n);
            chunks.add(ByteBuffer.wrap(c));
            at += n;
        }
        return chunks;
    }

    /** {@code all} in one-byte chunks. */
    static List<ByteBuffer> oneByteAtATime(byte[] all) {
        List<ByteBuffer> chunks = new ArrayList<>();
        for (byte b : all) {
            chunks.add(ByteBuffer.wrap(new byte[] {b}));
        }
        return chunks;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}

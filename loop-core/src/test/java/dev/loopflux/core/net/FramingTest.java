package dev.loopflux.core.net;

import static dev.loopflux.core.net.FrameStreams.ascii;
import static dev.loopflux.core.net.FrameStreams.bytes;
import static dev.loopflux.core.net.FrameStreams.concat;
import static dev.loopflux.core.net.FrameStreams.oneByteAtATime;
import static dev.loopflux.core.net.FrameStreams.split;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Behaviour of {@link Framing} on a single thread: the test source signals synchronously from
 * request, so every assertion can follow the call that caused it. Threads are in
 * {@link FramingConcurrencyTest}, the Reactive Streams rules in the TCK verifications.
 *
 * <p>Longer than most files on purpose: one place lists every behaviour of both framings, grouped
 * by {@code @Nested} class, so a gap in one framing's cases shows next to the other's.
 */
@Timeout(60)
class FramingTest {

    static final String PEER = "127.0.0.1:5555";

    static RecordingSubscriber subscribe(Publisher<ByteBuffer> frames, long initialRequest) {
        RecordingSubscriber s = new RecordingSubscriber(initialRequest);
        frames.subscribe(s);
        return s;
    }

    static void assertCompletedWith(RecordingSubscriber s, String... frames) {
        assertThat(s.error).isNull();
        assertThat(s.texts()).containsExactly(frames);
        assertThat(s.completed).isTrue();
        assertThat(s.violations).isEmpty();
    }

    /** Requests 1 to 4 frames at a time, at random, until the stream ends. */
    static void requestInRandomSteps(RecordingSubscriber s, Random random) {
        for (int i = 0; i < 1_000_000 && s.terminalSignals == 0; i++) {
            s.request(1 + random.nextInt(4));
        }
    }

    /** Snapshot of the chunks' bytes, to prove the framing never writes to them. */
    static List<byte[]> contents(List<ByteBuffer> chunks) {
        List<byte[]> out = new ArrayList<>();
        for (ByteBuffer c : chunks) {
            byte[] a = new byte[c.remaining()];
            c.duplicate().get(a);
            out.add(a);
        }
        return out;
    }

    @Nested
    class Lines {

        Publisher<ByteBuffer> lines(ChunkSource source, int max) {
            return Framing.lines(source, max, PEER);
        }

        @Test
        void wholeLinesInOneChunk() {
            ChunkSource source = ChunkSource.of(bytes("a\nbb\nccc\n"));
            RecordingSubscriber s = subscribe(lines(source, 16), Long.MAX_VALUE);
            assertCompletedWith(s, "a", "bb", "ccc");
            assertThat(source.requests).containsOnly(1L);
        }

        @Test
        void oneByteChunks() {
            ChunkSource source = ChunkSource.of(oneByteAtATime(ascii("hello\r\nworld\n\n\r\nlast\n")));
            assertCompletedWith(subscribe(lines(source, 16), Long.MAX_VALUE), "hello", "world", "", "", "last");
        }

        @Test
        void manyLinesInOneChunkThenTheRestOfTheLast() {
            ChunkSource source = ChunkSource.of(bytes("a\nb\r\nc\nd"), bytes("e"), bytes(""), bytes("f\n"));
            assertCompletedWith(subscribe(lines(source, 16), Long.MAX_VALUE), "a", "b", "c", "def");
        }

        @Test
        void crlfIsStrippedEvenWhenSplitAndALoneCrIsData() {
            ChunkSource source = ChunkSource.of(bytes("abc\r"), bytes("\nx\ry\n\r"), bytes("\n"));
            assertCompletedWith(subscribe(lines(source, 16), Long.MAX_VALUE), "abc", "x\ry", "");
        }

        @Test
        void randomSplitsManyRounds() {
            for (long seed = 1; seed <= 400; seed++) {
                Random random = new Random(seed);
                List<String> expected = new ArrayList<>();
                StringBuilder stream = new StringBuilder();
                int count = random.nextInt(30);
                for (int i = 0; i < count; i++) {
                    StringBuilder line = new StringBuilder();
                    int length = random.nextInt(40);
                    for (int j = 0; j < length; j++) {
                        line.append("ab \r\u00ff".charAt(random.nextInt(5)));
                    }
                    if (line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
                        line.setCharAt(line.length() - 1, 'z'); // a final '\r' would be part of "\r\n"
                    }
                    expected.add(line.toString());
                    stream.append(line).append(random.nextBoolean() ? "\n" : "\r\n");
                }
                if (random.nextBoolean()) {
                    stream.append("tail"); // an unterminated last line
                    expected.add("tail");
                }
                List<ByteBuffer> chunks = split(ascii(stream.toString()), random, 1 + random.nextInt(50));
                List<byte[]> before = contents(chunks);
                ChunkSource source = ChunkSource.of(chunks);

                RecordingSubscriber s = subscribe(lines(source, 40), 0);
                requestInRandomSteps(s, random);

                assertThat(s.texts()).as("seed %d", seed).containsExactlyElementsOf(expected);
                assertThat(s.completed).as("seed %d", seed).isTrue();
                assertThat(s.violations).isEmpty();
                assertThat(source.requests).allMatch(n -> n == 1L); // empty if there were no chunks
                assertThat(contents(chunks)).as("chunks unchanged").containsExactlyElementsOf(before);
            }
        }

        @Test
        void tooLongLineFailsAsSoonAsKnownNamingLimitAndPeer() {
            ChunkSource source = ChunkSource.of(bytes("ok\nabcd"), bytes("e"), bytes("never read\n"));
            RecordingSubscriber s = subscribe(lines(source, 4), Long.MAX_VALUE);

            assertThat(s.texts()).containsExactly("ok"); // complete lines before the bad one go out
            assertThat(s.error).isInstanceOf(FrameTooLongException.class)
                    .hasMessage("line of at least 5 bytes exceeds the limit of 4 from 127.0.0.1:5555");
            FrameTooLongException e = (FrameTooLongException) s.error;
            assertThat(e.limit()).isEqualTo(4);
            assertThat(e.peer()).isEqualTo(PEER);
            assertThat(e.size()).isEqualTo(5);
            assertThat(e).isInstanceOf(FramingException.class).isInstanceOf(IOException.class);
            assertThat(source.cancels).hasValue(1);
            assertThat(source.requests).hasSize(2); // the third chunk was never asked for
            assertThat(s.completed).isFalse();
            assertThat(s.terminalSignals).isEqualTo(1);
        }

        @Test
        void tooLongLineWithItsDelimiterInSight() {
            RecordingSubscriber s = subscribe(lines(ChunkSource.of(bytes("abcde\n")), 4), 1);
            assertThat(s.error).isInstanceOf(FrameTooLongException.class)
                    .hasMessage("line of 5 bytes exceeds the limit of 4 from 127.0.0.1:5555");
            assertThat(((FrameTooLongException) s.error).size()).isEqualTo(5);
        }

        @Test
        void aLineOfExactlyTheLimitPassesWhateverTheCut() {
            assertCompletedWith(subscribe(lines(ChunkSource.of(bytes("abc\r"), bytes("\n")), 3), 10), "abc");
            assertCompletedWith(subscribe(lines(ChunkSource.of(bytes("abc"), bytes("\n")), 3), 10), "abc");
            RecordingSubscriber s = subscribe(lines(ChunkSource.of(bytes("abc\r"), bytes("x")), 3), 10);
            assertThat(s.error).isInstanceOf(FrameTooLongException.class)
                    .hasMessage("line of at least 5 bytes exceeds the limit of 3 from 127.0.0.1:5555");
        }

        @Test
        void trailingUnterminatedLineIsTheLastFrameThenComplete() {
            assertCompletedWith(subscribe(lines(ChunkSource.of(bytes("a\nlast")), 8), 10), "a", "last");
            assertCompletedWith(subscribe(lines(ChunkSource.of(bytes("a\n")), 8), 10), "a");
            assertCompletedWith(subscribe(lines(ChunkSource.of(bytes("a\nb\r")), 8), 10), "a", "b\r");
            assertCompletedWith(subscribe(lines(ChunkSource.of(), 8), 0));
        }

        @Test
        void trailingLineWaitsForDemand() {
            RecordingSubscriber s = subscribe(lines(ChunkSource.of(bytes("a\nb")), 8), 1);
            assertThat(s.texts()).containsExactly("a");
            assertThat(s.completed).isFalse();
            s.request(1);
            assertCompletedWith(s, "a", "b");
        }

        @Test
        void upstreamErrorComesAfterTheCompleteLines() {
            IOException reset = new IOException("connection reset");
            RecordingSubscriber s = subscribe(
                    lines(ChunkSource.failing(reset, bytes("a\nb"), bytes("c\nparti")), 8), Long.MAX_VALUE);
            assertThat(s.texts()).containsExactly("a", "bc");
            assertThat(s.error).isSameAs(reset);
        }
    }

    @Nested
    class LengthPrefixed {

        Publisher<ByteBuffer> framed(ChunkSource source, int fieldLength, int max) {
            return Framing.lengthPrefixed(source, fieldLength, max, PEER);
        }

        byte[] frame(String content, int fieldLength) {
            ByteBuffer b = Framing.encodeLengthPrefixed(bytes(content), fieldLength);
            byte[] a = new byte[b.remaining()];
            b.get(a);
            return a;
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 4})
        void wholeFramesInOneChunk(int field) {
            ChunkSource source = ChunkSource.of(ByteBuffer.wrap(frame("hello", field)));
            assertCompletedWith(subscribe(framed(source, field, 100), Long.MAX_VALUE), "hello");
            assertThat(source.requests).containsOnly(1L);
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 4})
        void oneByteChunks(int field) {
            byte[] all = concat(frame("one", field), frame("", field), frame("three", field));
            ChunkSource source = ChunkSource.of(oneByteAtATime(all));
            assertCompletedWith(subscribe(framed(source, field, 100), Long.MAX_VALUE), "one", "", "three");
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 4})
        void manyFramesInOneChunkThenTheRestOfTheLast(int field) {
            byte[] all = concat(frame("a", field), frame("bb", field), frame("ccc", field), frame("dddd", field));
            int cut = all.length - 3; // inside the last frame
            ChunkSource source = ChunkSource.of(ByteBuffer.wrap(all, 0, cut).slice(),
                    ByteBuffer.wrap(all, cut, 3).slice());
            assertCompletedWith(subscribe(framed(source, field, 100), Long.MAX_VALUE), "a", "bb", "ccc", "dddd");
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 4})
        void randomSplitsManyRounds(int field) {
            for (long seed = 1; seed <= 300; seed++) {
                Random random = new Random(seed * 31 + field);
                List<String> expected = new ArrayList<>();
                List<byte[]> parts = new ArrayList<>();
                int count = random.nextInt(30);
                for (int i = 0; i < count; i++) {
                    byte[] content = new byte[random.nextInt(5) == 0 ? 0 : random.nextInt(200)];
                    random.nextBytes(content);
                    String text = RecordingSubscriber.text(ByteBuffer.wrap(content));
                    expected.add(text);
                    parts.add(frame(text, field));
                }
                List<ByteBuffer> chunks = split(concat(parts.toArray(new byte[0][])), random, 1 + random.nextInt(300));
                List<byte[]> before = contents(chunks);
                ChunkSource source = ChunkSource.of(chunks);

                RecordingSubscriber s = subscribe(framed(source, field, 255), 0);
                requestInRandomSteps(s, random);

                assertThat(s.texts()).as("seed %d", seed).containsExactlyElementsOf(expected);
                assertThat(s.completed).as("seed %d", seed).isTrue();
                assertThat(s.violations).isEmpty();
                assertThat(source.requests).allMatch(n -> n == 1L); // empty if there were no chunks
                assertThat(contents(chunks)).as("chunks unchanged").containsExactlyElementsOf(before);
            }
        }

        @Test
        void zeroLengthFramesAreEmptyBuffers() {
            ChunkSource source = ChunkSource.of(ByteBuffer.wrap(concat(frame("", 2), frame("a", 2), frame("", 2))));
            RecordingSubscriber s = subscribe(framed(source, 2, 10), Long.MAX_VALUE);
            assertCompletedWith(s, "", "a", "");
            assertThat(s.frames.get(0).limit()).isZero();
        }

        @Test
        void lengthAboveTheLimitFailsFromTheHeaderAlone() {
            // Only the header ever arrives: the 70000 bytes are neither sent nor allocated.
            ChunkSource source = ChunkSource.of(ByteBuffer.wrap(new byte[] {0, 1, 0x11, 0x70}), bytes("never read"));
            RecordingSubscriber s = subscribe(framed(source, 4, 65536), Long.MAX_VALUE);
            assertThat(s.error).isInstanceOf(FrameTooLongException.class)
                    .hasMessage("frame of 70000 bytes exceeds the limit of 65536 from 127.0.0.1:5555");
            FrameTooLongException e = (FrameTooLongException) s.error;
            assertThat(e.limit()).isEqualTo(65536);
            assertThat(e.size()).isEqualTo(70000);
            assertThat(e.peer()).isEqualTo(PEER);
            assertThat(source.cancels).hasValue(1);
            assertThat(source.requests).hasSize(1);
            assertThat(s.frames).isEmpty();
            assertThat(s.completed).isFalse();
        }

        @Test
        void oneAndTwoByteLengthsAreUnsigned() {
            RecordingSubscriber one = subscribe(framed(ChunkSource.of(ByteBuffer.wrap(new byte[] {(byte) 0x80})), 1, 100), 1);
            assertThat(one.error).hasMessage("frame of 128 bytes exceeds the limit of 100 from 127.0.0.1:5555");
            RecordingSubscriber two = subscribe(framed(ChunkSource.of(ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xFE})), 2, 100), 1);
            assertThat(two.error).hasMessage("frame of 65534 bytes exceeds the limit of 100 from 127.0.0.1:5555");

            byte[] full = new byte[256];
            full[0] = (byte) 0xFF;
            RecordingSubscriber largest = subscribe(framed(ChunkSource.of(ByteBuffer.wrap(full)), 1, 255), 1);
            assertThat(largest.error).isNull();
            assertThat(largest.frames).singleElement().satisfies(f -> assertThat(f.remaining()).isEqualTo(255));
        }

        @Test
        void negativeFourByteLengthIsCorrupted() {
            ChunkSource source = ChunkSource.of(ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFE}),
                    bytes("never read"));
            RecordingSubscriber s = subscribe(framed(source, 4, 100), 1);
            assertThat(s.error).isInstanceOf(CorruptedFrameException.class)
                    .hasMessage("negative frame length -2 from 127.0.0.1:5555");
            assertThat(((FramingException) s.error).peer()).isEqualTo(PEER);
            assertThat(source.cancels).hasValue(1);
        }

        @Test
        void truncatedFrameAtEndOfStreamSaysHowManyBytesAreMissing() {
            byte[] ten = frame("0123456789", 2);
            RecordingSubscriber body = subscribe(framed(ChunkSource.of(ByteBuffer.wrap(concat(frame("ok", 2), ten), 0, 9)), 2, 100), 5);
            assertThat(body.texts()).containsExactly("ok");
            assertThat(body.error).isInstanceOf(CorruptedFrameException.class)
                    .hasMessage("truncated frame: end of stream after 3 of 10 bytes, 7 missing, from 127.0.0.1:5555");

            RecordingSubscriber header = subscribe(framed(ChunkSource.of(ByteBuffer.wrap(new byte[] {0})), 2, 100), 1);
            assertThat(header.error).isInstanceOf(CorruptedFrameException.class)
                    .hasMessage("truncated frame: end of stream after 1 of 2 length-field bytes, 1 missing, from 127.0.0.1:5555");
        }

        @Test
        void truncationComesAfterTheFramesBeforeIt() {
            // One frame requested and delivered; the partial one is decoded when the next is asked
            // for, and the end of the stream then fails it.
            byte[] all = concat(frame("a", 1), new byte[] {5, 'x'});
            RecordingSubscriber s = subscribe(framed(ChunkSource.of(ByteBuffer.wrap(all)), 1, 10), 1);
            assertThat(s.texts()).containsExactly("a");
            assertThat(s.error).isNull();
            s.request(1);
            assertThat(s.error).hasMessageStartingWith("truncated frame: end of stream after 1 of 5 bytes");
        }
    }

    /** A source whose chunks the test hands over later than they were requested, as a socket does. */
    static final class ManualSource implements Publisher<ByteBuffer>, Subscription {
        final List<Long> requests = new ArrayList<>();
        int cancels;
        Subscriber<? super ByteBuffer> subscriber;

        @Override
        public void subscribe(Subscriber<? super ByteBuffer> s) {
            subscriber = s;
            s.onSubscribe(this);
        }

        @Override
        public void request(long n) {
            requests.add(n);
        }

        @Override
        public void cancel() {
            cancels++;
        }
    }

    @Nested
    class Demand {

        Publisher<ByteBuffer> tenLinesInOneChunk(ChunkSource source) {
            return Framing.lines(source, 8, PEER);
        }

        /** Ten lines in one chunk, then an empty chunk: the source is still open after the ten. */
        ChunkSource tenLines() {
            return ChunkSource.of(bytes("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"), bytes(""));
        }

        @Test
        void requestOneGetsExactlyOneFrameEvenWhenAChunkHoldsTen() {
            ChunkSource source = tenLines();
            RecordingSubscriber s = subscribe(tenLinesInOneChunk(source), 1);
            assertThat(s.texts()).containsExactly("0");
            s.request(1);
            assertThat(s.texts()).containsExactly("0", "1");
            assertThat(source.requests).containsExactly(1L); // frames 1.. came from the chunk at hand
            s.request(8);
            assertThat(s.frames).hasSize(10);
            assertThat(s.completed).isFalse(); // the end is only learnt by asking for more
            s.request(1);
            assertCompletedWith(s, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
            assertThat(source.requests).containsExactly(1L, 1L);
        }

        @Test
        void aChunkIsRequestedOnceUntilItArrives() {
            ManualSource source = new ManualSource();
            RecordingSubscriber s = subscribe(Framing.lines(source, 8, PEER), 2);
            s.request(3);
            assertThat(source.requests).containsExactly(1L); // more demand, still one chunk in flight
            source.subscriber.onNext(bytes("a\nb"));
            assertThat(s.texts()).containsExactly("a");
            assertThat(source.requests).containsExactly(1L, 1L);
            source.subscriber.onNext(bytes("\n"));
            assertThat(s.texts()).containsExactly("a", "b");
            source.subscriber.onComplete(); // with a request outstanding
            assertCompletedWith(s, "a", "b");
            assertThat(source.cancels).isZero();
        }

        @Test
        void anUpstreamErrorNeedsNoDemandWhenNothingIsBuffered() {
            ManualSource source = new ManualSource();
            RecordingSubscriber s = subscribe(Framing.lengthPrefixed(source, 2, 8, PEER), 0);
            IOException reset = new IOException("connection reset");
            source.subscriber.onError(reset);
            assertThat(s.error).isSameAs(reset);
            assertThat(source.requests).isEmpty();
        }

        @Test
        void anUpstreamSendingUnrequestedChunksFailsTheStream() {
            ManualSource source = new ManualSource();
            RecordingSubscriber s = subscribe(Framing.lines(source, 8, PEER), 0);
            source.subscriber.onNext(bytes("a\n"));
            source.subscriber.onNext(bytes("b\n"));
            assertThat(s.error).isInstanceOf(IllegalStateException.class).hasMessageContaining("rule 1.1");
            assertThat(source.cancels).isEqualTo(1);
            assertThat(s.frames).isEmpty();
        }

        @Test
        void nothingIsRequestedUpstreamWithoutDemand() {
            ChunkSource source = tenLines();
            RecordingSubscriber s = subscribe(tenLinesInOneChunk(source), 0);
            assertThat(source.requests).isEmpty();
            assertThat(s.frames).isEmpty();
        }

        @Test
        void demandAddsUpAndStopsAtLongMaxValue() {
            ChunkSource source = tenLines();
            RecordingSubscriber s = subscribe(tenLinesInOneChunk(source), Long.MAX_VALUE);
            s.request(Long.MAX_VALUE); // already complete: a no-op
            RecordingSubscriber t = subscribe(tenLinesInOneChunk(tenLines()), Long.MAX_VALUE - 1);
            assertThat(t.frames).hasSize(10);
            assertThat(s.frames).hasSize(10);
            assertThat(s.error).isNull();

            RecordingSubscriber u = subscribe(tenLinesInOneChunk(tenLines()), 0);
            u.request(Long.MAX_VALUE - 1);
            u.request(Long.MAX_VALUE - 1); // overflows: unbounded, not an error (rule 3.17)
            assertCompletedWith(u, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        }

        @Test
        void cancelGoesUpstreamAndStopsTheSignals() {
            ChunkSource source = tenLines();
            RecordingSubscriber s = subscribe(tenLinesInOneChunk(source), 1);
            s.cancel();
            s.cancel(); // rule 3.7: a no-op
            s.request(5); // rule 3.6: a no-op
            assertThat(source.cancels).hasValue(1);
            assertThat(s.texts()).containsExactly("0");
            assertThat(s.terminalSignals).isZero();
        }

        @Test
        void cancelFromInsideOnNextStopsAtOnce() {
            ChunkSource source = tenLines();
            RecordingSubscriber s = new RecordingSubscriber(Long.MAX_VALUE) {
                @Override
                void afterNext(ByteBuffer frame) {
                    if (frames.size() == 3) {
                        cancel();
                    }
                }
            };
            tenLinesInOneChunk(source).subscribe(s);
            assertThat(s.texts()).containsExactly("0", "1", "2");
            assertThat(source.cancels).hasValue(1);
            assertThat(s.terminalSignals).isZero();
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1, Long.MIN_VALUE})
        void nonPositiveRequestFailsWithIllegalArgumentException(long n) {
            ChunkSource source = tenLines();
            RecordingSubscriber s = subscribe(tenLinesInOneChunk(source), 1);
            s.request(n);
            assertThat(s.error).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3.9")
                    .hasMessageEndingWith(" " + n);
            assertThat(source.cancels).hasValue(1);
            s.request(1);
            assertThat(s.texts()).containsExactly("0");
            assertThat(s.terminalSignals).isEqualTo(1);
        }

        @Test
        void eachSubscribeSubscribesUpstreamAnew() {
            ChunkSource source = tenLines();
            Publisher<ByteBuffer> lines = tenLinesInOneChunk(source);
            RecordingSubscriber first = subscribe(lines, 3);
            RecordingSubscriber second = subscribe(lines, Long.MAX_VALUE);
            assertThat(source.subscribes).hasValue(2);
            assertThat(first.texts()).containsExactly("0", "1", "2");
            assertThat(second.frames).hasSize(10);
        }

        @Test
        void framesAreNewBuffersOwnedByTheSubscriber() {
            byte[] chunk = ascii("abc\ndef\n");
            RecordingSubscriber s = subscribe(tenLinesInOneChunk(ChunkSource.of(ByteBuffer.wrap(chunk))), 2);
            for (ByteBuffer f : s.frames) {
                assertThat(f.position()).isZero();
                assertThat(f.limit()).isEqualTo(3);
                assertThat(f.isReadOnly()).isFalse();
                f.put(0, (byte) '!'); // the subscriber may write to its frame...
            }
            assertThat(chunk).isEqualTo(ascii("abc\ndef\n")); // ...which is not a view of the chunk
            assertThat(s.texts()).containsExactly("!bc", "!ef");
        }

        @Test
        void aSubscriberThatThrowsCancelsUpstreamAndTheErrorReachesTheCaller() {
            ChunkSource source = tenLines();
            RecordingSubscriber s = new RecordingSubscriber(0) {
                @Override
                void afterNext(ByteBuffer frame) {
                    throw new IllegalStateException("bug in onNext");
                }
            };
            tenLinesInOneChunk(source).subscribe(s);
            assertThatThrownBy(() -> s.request(5)).hasMessage("bug in onNext");
            assertThat(source.cancels).hasValue(1);
            s.request(5);
            assertThat(s.frames).hasSize(1);
        }
    }

    @Nested
    class Arguments {

        final Publisher<ByteBuffer> none = ChunkSource.of();

        @Test
        void linesChecksItsArguments() {
            assertThatThrownBy(() -> Framing.lines(null, 10, PEER)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> Framing.lines(none, 10, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> Framing.lines(none, 0, PEER)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxLineLength < 1: 0");
        }

        @Test
        void lengthPrefixedChecksItsArguments() {
            assertThatThrownBy(() -> Framing.lengthPrefixed(null, 2, 10, PEER)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> Framing.lengthPrefixed(none, 2, 10, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> Framing.lengthPrefixed(none, 3, 10, PEER)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("fieldLength not 1, 2 or 4: 3");
            assertThatThrownBy(() -> Framing.lengthPrefixed(none, 2, -1, PEER)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxFrameLength < 0: -1");
        }

        @Test
        void subscribingNullThrowsNullPointerException() {
            assertThatThrownBy(() -> Framing.lines(none, 10, PEER).subscribe(null)).isInstanceOf(NullPointerException.class);
        }

        @Test
        void encodeWritesABigEndianHeaderAndLeavesThePayloadAlone() {
            ByteBuffer payload = bytes("xxhello");
            payload.position(2);
            ByteBuffer four = Framing.encodeLengthPrefixed(payload, 4);
            assertThat(payload.position()).isEqualTo(2);
            assertThat(four.position()).isZero();
            assertThat(four.remaining()).isEqualTo(9);
            assertThat(four.getInt(0)).isEqualTo(5);
            assertThat(RecordingSubscriber.text(four.position(4))).isEqualTo("hello");

            ByteBuffer two = Framing.encodeLengthPrefixed(ByteBuffer.allocate(0x1234), 2);
            assertThat(two.get(0)).isEqualTo((byte) 0x12);
            assertThat(two.get(1)).isEqualTo((byte) 0x34);
            assertThat(Framing.encodeLengthPrefixed(ByteBuffer.allocate(255), 1).get(0)).isEqualTo((byte) 0xFF);
        }

        @Test
        void encodeRejectsWhatTheFieldCannotHold() {
            assertThatThrownBy(() -> Framing.encodeLengthPrefixed(ByteBuffer.allocate(256), 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("payload of 256 bytes does not fit a 1-byte length field (at most 255)");
            assertThatThrownBy(() -> Framing.encodeLengthPrefixed(ByteBuffer.allocate(65536), 2))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("payload of 65536 bytes does not fit a 2-byte length field (at most 65535)");
            assertThatThrownBy(() -> Framing.encodeLengthPrefixed(ByteBuffer.allocate(1), 3))
                    .hasMessage("fieldLength not 1, 2 or 4: 3");
            assertThatThrownBy(() -> Framing.encodeLengthPrefixed(null, 2)).isInstanceOf(NullPointerException.class);
        }
    }
}

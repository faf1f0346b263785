package dev.loopflux.core.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;

/**
 * Reactive Streams TCK for {@link Framing#lines}, over a source that cuts the lines into chunks of
 * 0 to 64 bytes (inside "\r\n" too, and many lines per chunk).
 *
 * <p>Every required and optional rule runs and passes. The TCK itself skips its {@code untested_*}
 * rules: it has no way to check them (e.g. "request should not perform heavy computations").
 *
 * <p>TestNG needs the class public; javac compiles tests into the patched module, where a public
 * class extending a class of the (unnamed) TCK module draws an {@code exports} lint warning that
 * means nothing for a test.
 */
@SuppressWarnings("exports")
public class LinesFramingVerification extends PublisherVerification<ByteBuffer> {

    public LinesFramingVerification() {
        super(new TestEnvironment(300));
    }

    @Override
    public Publisher<ByteBuffer> createPublisher(long elements) {
        return Framing.lines(ChunkSource.generated(() -> FrameStreams.chunked(elements, FrameStreams::line, elements)),
                64, "tck-peer");
    }

    @Override
    public Publisher<ByteBuffer> createFailedPublisher() {
        return Framing.lines(ChunkSource.failing(new IOException("connection reset by tck-peer")), 64, "tck-peer");
    }

    /**
     * The default, stated: the chunks are generated lazily, so any count can be asked for, and rule
     * 3.17's test with {@code Integer.MAX_VALUE} elements runs too.
     */
    @Override
    public long maxElementsFromPublisher() {
        return Long.MAX_VALUE - 1;
    }
}

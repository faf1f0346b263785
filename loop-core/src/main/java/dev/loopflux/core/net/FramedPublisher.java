package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;

/**
 * A cold publisher of frames: each {@link #subscribe} subscribes to the chunk source anew, with a
 * new decoder, so subscribers share nothing. It keeps no reference to its subscribers.
 */
final class FramedPublisher implements Publisher<ByteBuffer> {

    private final Publisher<ByteBuffer> chunks;
    private final Supplier<FrameDecoder> decoders;

    FramedPublisher(Publisher<ByteBuffer> chunks, Supplier<FrameDecoder> decoders) {
        this.chunks = chunks;
        this.decoders = decoders;
    }

    @Override
    public void subscribe(Subscriber<? super ByteBuffer> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber"); // rule 1.9
        chunks.subscribe(new FramingSubscriber(subscriber, decoders.get()));
    }
}

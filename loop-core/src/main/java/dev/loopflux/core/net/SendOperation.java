package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;

/**
 * One {@link Connection#send} or {@link Connection#sendFile}: the subscriber to the user's data
 * (or to the file's, when it is not sent with sendfile), and the subscription of the user's
 * completion subscriber; see {@link UpstreamSend}.
 *
 * <p>Threading: fields on the loop thread only.
 */
final class SendOperation extends UpstreamSend<ByteBuffer> {
    private final Outbound outbound;
    /** The buffers to send, or null for a file send. */
    private final Publisher<ByteBuffer> data;
    /** The file to send, or null for a send of buffers. */
    private final FileSend file;

    SendOperation(Outbound outbound, Publisher<ByteBuffer> data, Subscriber<? super Void> downstream) {
        this(outbound, data, null, downstream);
    }

    SendOperation(Outbound outbound, FileSend file, Subscriber<? super Void> downstream) {
        this(outbound, null, file, downstream);
    }

    private SendOperation(Outbound outbound, Publisher<ByteBuffer> data, FileSend file, Subscriber<? super Void> downstream) {
        super(outbound.connection.loop, downstream);
        this.outbound = outbound;
        this.data = data;
        this.file = file;
    }

    /** Loop thread: this send's turn has come. */
    void start() {
        if (file != null) {
            file.open(this, outbound); // comes back as Outbound.onFileOpened, startData or onUpstreamError
        } else {
            subscribeTo(data);
        }
    }

    /** Loop thread: reads {@code buffers} as this send's data (for a file send: its fallback). */
    void startData(Publisher<ByteBuffer> buffers) {
        subscribeTo(buffers);
    }

    /** One buffer at a time: asks for the next only once the last has arrived. */
    void requestOne() {
        if (outstanding() == 0) {
            pull(1);
        }
    }

    /**
     * Loop thread, from the inbound this send reads: {@code bytes} in place of an item it asked
     * for; see {@link Outbound#pipe}.
     */
    int pipe(ByteBuffer bytes) {
        // (its loop first: on another loop, this send's fields are not ours to read)
        return outbound.connection.loop.inLoop() && outstanding() > 0 && !isDone()
                ? outbound.pipe(this, bytes) : Outbound.NOT_PIPED;
    }

    @Override
    void subscribed() {
        outbound.requestMore(this);
    }

    @Override
    void upstreamNext(ByteBuffer buffer) {
        outbound.onUpstreamNext(this, buffer);
    }

    @Override
    void upstreamComplete() {
        outbound.onUpstreamComplete(this);
    }

    @Override
    void upstreamError(Throwable error) {
        outbound.onUpstreamError(this, error);
    }

    @Override
    void cancelled() {
        outbound.cancelled(this);
    }
}

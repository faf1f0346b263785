package dev.loopflux.core.net;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Records the signals it gets, and the rule breaks it can see: a signal during another (concurrent
 * signals), a signal after the terminal one, a frame that does not start at position 0.
 */
class RecordingSubscriber implements Subscriber<ByteBuffer> {

    private final long initialRequest;
    final List<ByteBuffer> frames = Collections.synchronizedList(new ArrayList<>());
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger inSignal = new AtomicInteger();
    volatile Subscription subscription;
    volatile Throwable error;
    volatile boolean completed;
    volatile int terminalSignals;

    /** Requests {@code initialRequest} from onSubscribe, if positive. */
    RecordingSubscriber(long initialRequest) {
        this.initialRequest = initialRequest;
    }

    @Override
    public void onSubscribe(Subscription s) {
        enter("onSubscribe");
        if (subscription != null) {
            violations.add("second onSubscribe");
        }
        subscription = s;
        leave(); // a publisher may signal onNext from inside this request (rule 3.2): not a nesting
        if (initialRequest > 0) {
            s.request(initialRequest);
        }
    }

    @Override
    public void onNext(ByteBuffer frame) {
        enter("onNext");
        if (terminalSignals > 0) {
            violations.add("onNext after terminal signal");
        }
        if (frame.position() != 0) {
            violations.add("frame at position " + frame.position());
        }
        frames.add(frame);
        afterNext(frame);
        leave();
    }

    /** Hook for tests that act from inside onNext. */
    void afterNext(ByteBuffer frame) {
    }

    @Override
    public void onError(Throwable t) {
        enter("onError");
        terminalSignals++;
        error = t;
        leave();
        terminated.countDown();
    }

    @Override
    public void onComplete() {
        enter("onComplete");
        terminalSignals++;
        completed = true;
        leave();
        terminated.countDown();
    }

    void request(long n) {
        subscription.request(n);
    }

    void cancel() {
        subscription.cancel();
    }

    /** The frames as text (ISO-8859-1, one char per byte), read without moving their positions. */
    List<String> texts() {
        synchronized (frames) {
            List<String> out = new ArrayList<>();
            for (ByteBuffer f : frames) {
                out.add(text(f));
            }
            return out;
        }
    }

    static String text(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return new String(a, StandardCharsets.ISO_8859_1);
    }

    private void enter(String signal) {
        // Same-thread nesting would be a re-entrant signal (e.g. onNext from inside onNext).
        if (inSignal.getAndIncrement() != 0) {
            violations.add("concurrent or nested " + signal);
        }
    }

    private void leave() {
        inSignal.decrementAndGet();
    }
}

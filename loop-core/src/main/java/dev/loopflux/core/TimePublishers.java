package dev.loopflux.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A loop's timers as Reactive Streams publishers: {@link #delay}, {@link #interval} and
 * {@link #timeout}. Each is cold (every subscription has its own timer) and delivers its timer
 * signals on the loop's thread.
 *
 * <p>Threading: factories are safe from any thread; {@code request} and {@code cancel} may come
 * from any thread (off the loop they hop onto it). Cancelling cancels the timer at once.
 */
public final class TimePublishers {

    private TimePublishers() {
    }

    /**
     * Emits {@code 0L} once {@code delay} has passed on {@code loop}'s clock, then completes. If
     * nothing was requested by then, the value waits for the first request (it is one value; no
     * overflow is possible).
     */
    public static Publisher<Long> delay(Loop loop, Duration delay) {
        Objects.requireNonNull(loop, "loop");
        long nanos = nonNegative(delay, "delay");
        return subscriber -> new Ticks(loop, subscriber, nanos, 0, 1).start();
    }

    /**
     * Emits {@code 0, 1, 2, ...} every {@code period} (fixed rate, after a first wait of
     * {@code initialDelay}) until cancelled. A subscriber that cannot keep up, that has no demand
     * when a tick is due, gets {@code onError(}{@link MissingDemandException}{@code )} naming the
     * tick, and the timer stops, as Reactor's {@code Flux.interval} does: time does not wait.
     */
    public static Publisher<Long> interval(Loop loop, Duration initialDelay, Duration period) {
        Objects.requireNonNull(loop, "loop");
        long first = nonNegative(initialDelay, "initialDelay");
        long every = nonNegative(period, "period");
        if (every == 0) {
            throw new IllegalArgumentException("period is zero");
        }
        return subscriber -> new Ticks(loop, subscriber, first, every, Long.MAX_VALUE).start();
    }

    /** {@code interval(loop, period, period)}. */
    public static Publisher<Long> interval(Loop loop, Duration period) {
        return interval(loop, period, period);
    }

    /**
     * Passes {@code source} on, failing with a {@link TimeoutException} (and cancelling the
     * source) when its first item, or any next item or its completion, takes longer than
     * {@code timeout} from the subscription or the previous item, by {@code loop}'s clock. The
     * source's signals pass through on the source's thread; a timeout is signalled on the loop;
     * the two never overlap.
     */
    public static <T> Publisher<T> timeout(Publisher<T> source, Loop loop, Duration timeout) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(loop, "loop");
        long nanos = nonNegative(timeout, "timeout");
        return subscriber -> source.subscribe(new Timeout<>(subscriber, loop, nanos));
    }

    private static long nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " < 0: " + d);
        }
        return Math.min(d.toNanos(), Long.MAX_VALUE >> 1);
    }

    /** A tick was due and the subscriber had not asked for one. */
    public static final class MissingDemandException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public MissingDemandException(String message) {
            super(message);
        }
    }

    /** The subscription of {@link #delay} (one tick) and {@link #interval} (endless). Loop thread only, except the hops. */
    private static final class Ticks implements Subscription, Runnable {
        private final Loop loop;
        private final Subscriber<? super Long> subscriber;
        private final long firstNanos;
        private final long periodNanos;
        private final long count;
        private long demand;
        private long emitted;
        /** A one-shot tick that fired before it was requested. */
        private boolean heldTick;
        private boolean done;
        private TimerHandle timer;

        Ticks(Loop loop, Subscriber<? super Long> subscriber, long firstNanos, long periodNanos, long count) {
            this.loop = Objects.requireNonNull(loop, "loop");
            this.subscriber = Objects.requireNonNull(subscriber, "subscriber");
            this.firstNanos = firstNanos;
            this.periodNanos = periodNanos;
            this.count = count;
        }

        void start() {
            onLoop(() -> {
                subscriber.onSubscribe(this);
                if (done) {
                    return;
                }
                try {
                    timer = periodNanos == 0
                            ? loop.schedule(this, firstNanos, TimeUnit.NANOSECONDS)
                            : loop.scheduleAtFixedRate(this, firstNanos, periodNanos, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) {
                    done = true;
                    subscriber.onError(e);
                }
            }, () -> {
                subscriber.onSubscribe(this);
                subscriber.onError(new RejectedExecutionException("loop '" + loop.name() + "' is shut down"));
            });
        }

        /** The timer fired. */
        @Override
        public void run() {
            if (done) {
                return;
            }
            if (demand == 0) {
                if (count == 1) {
                    heldTick = true; // one value: it can wait for its request
                    return;
                }
                done = true;
                timer.cancel();
                subscriber.onError(new MissingDemandException("could not emit tick " + emitted + " of an interval on loop '"
                        + loop.name() + "': no demand (the subscriber is slower than the period)"));
                return;
            }
            emit();
        }

        private void emit() {
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
            subscriber.onNext(emitted++);
            if (emitted == count && !done) {
                done = true;
                subscriber.onComplete();
            }
        }

        @Override
        public void request(long n) {
            onLoop(() -> {
                if (done) {
                    return;
                }
                if (n <= 0) {
                    cancelNow();
                    subscriber.onError(new IllegalArgumentException("§3.9 violated: request(" + n + ") must be positive"));
                    return;
                }
                long d = demand + n;
                demand = d < 0 ? Long.MAX_VALUE : d;
                if (heldTick) {
                    heldTick = false;
                    emit();
                }
            }, null);
        }

        @Override
        public void cancel() {
            onLoop(this::cancelNow, null);
        }

        private void cancelNow() {
            done = true;
            if (timer != null) {
                timer.cancel();
            }
        }

        private void onLoop(Runnable action, Runnable ifLoopGone) {
            if (loop.inLoop()) {
                action.run();
                return;
            }
            try {
                loop.execute(action);
            } catch (RejectedExecutionException e) {
                if (ifLoopGone != null) {
                    ifLoopGone.run();
                }
            }
        }
    }

    /**
     * The subscriber of {@link #timeout}. {@code index} decides every race between the source and
     * the timer: a source signal moves it from {@code i} to {@code i + 1}, the timer armed at
     * {@code i} moves it to {@link #TIMED_OUT}; whoever's CAS fails stays silent.
     */
    private static final class Timeout<T> implements Subscriber<T>, Subscription {
        private static final long TIMED_OUT = Long.MIN_VALUE;
        private static final VarHandle INDEX;

        static {
            try {
                INDEX = MethodHandles.lookup().findVarHandle(Timeout.class, "index", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Subscriber<? super T> downstream;
        private final Loop loop;
        private final long nanos;
        private Subscription upstream;
        private volatile long index;
        private volatile TimerHandle timer;

        Timeout(Subscriber<? super T> downstream, Loop loop, long nanos) {
            this.downstream = Objects.requireNonNull(downstream, "subscriber");
            this.loop = loop;
            this.nanos = nanos;
        }

        @Override
        public void onSubscribe(Subscription s) {
            upstream = s;
            downstream.onSubscribe(this);
            arm(0);
        }

        private void arm(long at) {
            try {
                timer = loop.schedule(() -> fire(at), nanos, TimeUnit.NANOSECONDS); // each timer knows its index
            } catch (RejectedExecutionException e) {
                if (INDEX.compareAndSet(this, at, TIMED_OUT)) {
                    upstream.cancel();
                    downstream.onError(e);
                }
            }
        }

        /** The timer armed at {@code at} fired (on the loop). */
        private void fire(long at) {
            if (INDEX.compareAndSet(this, at, TIMED_OUT)) {
                upstream.cancel();
                downstream.onError(new TimeoutException("no signal within " + Duration.ofNanos(nanos).toMillis()
                        + " ms (timer on loop '" + loop.name() + "')"));
            }
        }

        @Override
        public void onNext(T item) {
            long i = index;
            if (i == TIMED_OUT || !INDEX.compareAndSet(this, i, i + 1)) {
                return; // timed out: the source was cancelled, this item is dropped
            }
            disarm();
            downstream.onNext(item);
            arm(i + 1);
        }

        @Override
        public void onError(Throwable error) {
            long i = index;
            if (i != TIMED_OUT && INDEX.compareAndSet(this, i, TIMED_OUT)) {
                disarm();
                downstream.onError(error);
            }
        }

        @Override
        public void onComplete() {
            long i = index;
            if (i != TIMED_OUT && INDEX.compareAndSet(this, i, TIMED_OUT)) {
                disarm();
                downstream.onComplete();
            }
        }

        private void disarm() {
            TimerHandle t = timer;
            if (t != null) {
                t.cancel();
            }
        }

        @Override
        public void request(long n) {
            upstream.request(n);
        }

        @Override
        public void cancel() {
            INDEX.setVolatile(this, TIMED_OUT);
            disarm();
            upstream.cancel();
        }
    }
}

package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/** delay, interval and timeout as publishers, on a TestLoop's manual clock. */
@Timeout(30)
class TimePublishersTest {
    private final TestLoop loop = TestLoop.create();

    @AfterEach
    void close() {
        loop.close();
    }

    /** Records signals; requests {@code initial} on subscribe. */
    static final class Probe<T> implements Subscriber<T> {
        final List<Object> signals = new CopyOnWriteArrayList<>();
        final long initial;
        Subscription subscription;

        Probe(long initial) {
            this.initial = initial;
        }

        static <T> Probe<T> subscribe(Publisher<T> p, long initial) {
            Probe<T> probe = new Probe<>(initial);
            p.subscribe(probe);
            return probe;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            if (initial > 0) {
                s.request(initial);
            }
        }

        @Override
        public void onNext(T t) {
            signals.add(t);
        }

        @Override
        public void onError(Throwable t) {
            signals.add(t);
        }

        @Override
        public void onComplete() {
            signals.add("complete");
        }
    }

    @Test
    void delayEmitsZeroAtItsTimeAndNotBefore() {
        Probe<Long> p = Probe.subscribe(TimePublishers.delay(loop, Duration.ofSeconds(10)), 1);
        loop.advanceTimeBy(Duration.ofMillis(9_999));
        assertThat(p.signals).isEmpty();
        loop.advanceTimeBy(Duration.ofMillis(1));
        assertThat(p.signals).containsExactly(0L, "complete");
    }

    @Test
    void aDelayThatFiresBeforeItsRequestWaitsForIt() {
        Probe<Long> p = Probe.subscribe(TimePublishers.delay(loop, Duration.ofSeconds(1)), 0);
        loop.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(p.signals).isEmpty();
        p.subscription.request(1);
        assertThat(p.signals).containsExactly(0L, "complete");
    }

    @Test
    void intervalTicksAtEachPeriodWhileThereIsDemand() {
        Probe<Long> p = Probe.subscribe(TimePublishers.interval(loop, Duration.ofSeconds(1)), Long.MAX_VALUE);
        loop.advanceTimeBy(Duration.ofSeconds(3));
        assertThat(p.signals).containsExactly(0L, 1L, 2L);
        p.subscription.cancel();
        loop.advanceTimeBy(Duration.ofSeconds(3));
        assertThat(p.signals).hasSize(3);
        assertThat(loop.metrics().pendingTimers()).isZero();
    }

    @Test
    void anIntervalWithoutDemandFailsNamingTheTickAndStops() {
        Probe<Long> p = Probe.subscribe(TimePublishers.interval(loop, Duration.ofSeconds(1)), 2);
        loop.advanceTimeBy(Duration.ofSeconds(3));
        assertThat(p.signals).hasSize(3);
        assertThat(p.signals.subList(0, 2)).containsExactly(0L, 1L);
        assertThat(p.signals.get(2)).isInstanceOf(TimePublishers.MissingDemandException.class)
                .asString().contains("tick 2");
        assertThat(loop.metrics().pendingTimers()).isZero();
    }

    @Test
    void timeoutPassesTimelyItemsAndFailsOnASilentSource() {
        Probe<String> p = Probe.subscribe(TimePublishers.timeout(s -> s.onSubscribe(new Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
                cancelled[0] = true;
            }
        }), loop, Duration.ofSeconds(30)), 1);
        loop.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(p.signals).isEmpty();
        loop.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(p.signals).hasSize(1);
        assertThat(p.signals.get(0)).isInstanceOf(TimeoutException.class);
        assertThat(cancelled[0]).isTrue();
    }

    private final boolean[] cancelled = new boolean[1];

    @Test
    void eachItemRestartsTheTimeout() {
        @SuppressWarnings("unchecked")
        Subscriber<? super String>[] source = new Subscriber[1];
        Probe<String> p = Probe.subscribe(TimePublishers.timeout(s -> {
            source[0] = s;
            s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
        }, loop, Duration.ofSeconds(10)), 10);
        for (int i = 0; i < 5; i++) {
            loop.advanceTimeBy(Duration.ofSeconds(9));
            source[0].onNext("item " + i);
        }
        source[0].onComplete();
        loop.advanceTimeBy(Duration.ofSeconds(60));
        assertThat(p.signals).containsExactly("item 0", "item 1", "item 2", "item 3", "item 4", "complete");
        assertThat(loop.metrics().pendingTimers()).isZero();
    }

    @Test
    void aNonPositiveRequestFailsTheInterval() {
        Probe<Long> p = Probe.subscribe(TimePublishers.interval(loop, Duration.ofSeconds(1)), 0);
        p.subscription.request(0);
        assertThat(p.signals).hasSize(1);
        assertThat(p.signals.get(0)).isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.loopflux.reactor;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.loopflux.core.Loop;
import dev.loopflux.core.TestLoop;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.test.StepVerifier;

/**
 * Reactor's time operators on a {@link TestLoop}: nothing happens until the test moves the
 * manual clock, and then exactly what is due. The test thread is the loop's thread, so every
 * signal arrives on it, inside {@code advanceTimeBy}.
 */
@Timeout(30)
class ManualClockSchedulerTest {
    private static final Duration VERIFY = Duration.ofSeconds(TestSupport.WAIT_SECONDS);

    private TestLoop loop;
    private Scheduler s;

    @BeforeEach
    void create() {
        loop = TestLoop.create();
        s = LoopSchedulers.from(loop);
    }

    @AfterEach
    void close() {
        s.dispose();
        loop.close(); // also clears Loop.current() for this thread, which later tests share
        assertThat(Loop.current()).isNull();
    }

    @Test
    void delayEmitsOnlyWhenTheClockGetsThere() {
        AtomicBoolean emitted = new AtomicBoolean();

        StepVerifier.create(Mono.delay(Duration.ofHours(1), s).doOnNext(tick -> emitted.set(true)))
                .expectSubscription()
                .then(() -> loop.advanceTimeBy(Duration.ofMinutes(59)))
                .then(() -> assertThat(emitted).as("emitted after 59 of 60 minutes").isFalse())
                .then(() -> loop.advanceTimeBy(Duration.ofMinutes(1)))
                .expectNext(0L)
                .expectComplete()
                .verify(VERIFY);
    }

    @Test
    void intervalTicksOncePerPeriodOfManualTime() {
        List<Long> ticks = new CopyOnWriteArrayList<>();

        StepVerifier.create(Flux.interval(Duration.ofSeconds(1), s).take(5).doOnNext(ticks::add))
                .expectSubscription()
                .then(() -> loop.advanceTimeBy(Duration.ofMillis(2_500)))
                .then(() -> assertThat(ticks).containsExactly(0L, 1L))
                .then(() -> loop.advanceTimeBy(Duration.ofMillis(2_500)))
                .expectNext(0L, 1L, 2L, 3L, 4L)
                .expectComplete()
                .verify(VERIFY);

        assertThat(loop.metrics().pendingTimers()).as("take(5) cancelled the interval's timer").isZero();
    }

    @Test
    void nowMovesExactlyAsFarAsTheClock() {
        long millis = s.now(MILLISECONDS);
        long nanos = s.now(NANOSECONDS);

        loop.advanceTimeBy(Duration.ofNanos(1_500_000_123L));

        assertThat(s.now(NANOSECONDS) - nanos).isEqualTo(1_500_000_123L);
        assertThat(s.now(MILLISECONDS) - millis).isEqualTo(1_500L);
        assertThat(s.now(MILLISECONDS)).as("still wall-clock based").isCloseTo(System.currentTimeMillis(), within(10_000L));
    }

    @Test
    void timeoutFiresAfterThirtySecondsOfManualTime() {
        AtomicBoolean failed = new AtomicBoolean();

        StepVerifier.create(Mono.never().timeout(Duration.ofSeconds(30), s).doOnError(e -> failed.set(true)))
                .expectSubscription()
                .then(() -> loop.advanceTimeBy(Duration.ofSeconds(29)))
                .then(() -> assertThat(failed).as("timed out after 29 s").isFalse())
                .then(() -> loop.advanceTimeBy(Duration.ofSeconds(1)))
                .expectError(TimeoutException.class)
                .verify(VERIFY);
    }

    @Test
    void aTaskScheduledFromAnotherThreadRunsWhenTheTestDrivesTheLoop() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        Thread other = new Thread(() -> s.schedule(() -> ran.set(loop.inLoop()), 10, MILLISECONDS));
        other.start();
        other.join(TestSupport.WAIT_SECONDS * 1_000);

        loop.runPending();
        assertThat(ran).as("not due yet").isFalse();
        loop.advanceTimeBy(Duration.ofMillis(10));
        assertThat(ran).as("ran on the driving (test) thread").isTrue();
    }
}

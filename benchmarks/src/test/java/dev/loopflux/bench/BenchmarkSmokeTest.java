package dev.loopflux.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the routines of every benchmark once, at a tiny size, against every peer: they complete
 * and their numbers are sane. Nothing here asserts on speed.
 */
@Timeout(60)
class BenchmarkSmokeTest {
    private static final int TIMERS = 1_000;

    @ParameterizedTest
    @ValueSource(strings = {"loopflux", "netty", "reactor", "jdk"})
    void dispatchRunsEveryTask(String peer) {
        DispatchBenchmark bench = new DispatchBenchmark();
        bench.peer = peer;
        bench.setUp();
        try {
            assertThat(bench.runBurst(100)).isEqualTo(100);
            assertThat(bench.runBurst(100)).as("a second burst counts on from the first").isEqualTo(200);
            assertThat(bench.submitted()).isEqualTo(200);
            for (int i = 0; i < 10; i++) {
                bench.pingPong();
                bench.pingPongPark();
            }
        } finally {
            bench.tearDown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"loopflux", "netty", "jdk-stpe", "reactor"})
    void timerRoundSchedulesAndCancelsEveryTimer(String name) {
        long[] delays = TimerBenchmark.delays(TIMERS, 42);
        Object[] handles = new Object[TIMERS];
        Peer<?> peer = Peers.create(name);
        try {
            for (int i = 0; i < 2; i++) { // the second round reuses the peer and the handle array
                TimerBenchmark.Round round = TimerBenchmark.round(peer, delays, handles);
                assertThat(round.cancelled()).isEqualTo(TIMERS);
                assertThat(round.scheduleNanos()).isPositive();
                assertThat(round.cancelNanos()).isPositive();
                if (name.equals("loopflux")) {
                    assertThat(round.purgeNanos()).isNotNegative();
                } else {
                    assertThat(round.purgeNanos()).isEqualTo(-1);
                }
                assertThat(handles).containsOnlyNulls();
            }
        } finally {
            peer.shutdown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"loopflux", "netty", "jdk-stpe", "reactor"})
    void retainedBytesIsANumber(String name) {
        // Too few timers for the reading to be accurate (the rest of the heap moves too), so
        // only check that the measurement runs and yields a number.
        assertThat(TimerBenchmark.retainedBytesPerTimer(name, TimerBenchmark.delays(TIMERS, 42))).isFinite();
    }

    @Test
    void delaysAreTheSameForASeedAndWithinRange() {
        long[] delays = TimerBenchmark.delays(TIMERS, 7);
        assertThat(delays).isEqualTo(TimerBenchmark.delays(TIMERS, 7));
        assertThat(Arrays.stream(delays).min().orElseThrow()).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(1));
        assertThat(Arrays.stream(delays).max().orElseThrow()).isLessThanOrEqualTo(TimeUnit.HOURS.toNanos(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"loopflux", "netty", "jdk-stpe", "reactor"})
    void latenessBatchFiresEveryTimerNoEarlierThanIntended(String name) {
        Peer<?> peer = Peers.create(name);
        try {
            for (TimerLatenessBenchmark.Mode mode : TimerLatenessBenchmark.Mode.values()) {
                TimerLatenessBenchmark.Lateness lateness = new TimerLatenessBenchmark.Lateness();
                lateness.add(TimerLatenessBenchmark.runBatch(peer, 100, TimeUnit.MILLISECONDS.toNanos(1), mode));
                assertThat(lateness.histogram.getTotalCount()).as(mode.label).isEqualTo(100);
                assertThat(lateness.early).as(mode.label).isZero();
            }
        } finally {
            peer.shutdown();
        }
    }

    @Test
    void harnessesRunEndToEnd() {
        TimerBenchmark.main(new String[] {"--timers", "1_000", "--rounds", "1", "--warmup", "0"});
        TimerLatenessBenchmark.main(new String[] {"--timers", "100", "--delay-ms", "1", "--rounds", "1", "--warmup", "0"});
    }

    @Test
    void jdkPeerHasNoTimersAndUnknownPeersAreRejected() {
        Peer<?> jdk = Peers.create("jdk");
        try {
            assertThatThrownBy(() -> jdk.schedule(() -> { }, 1, TimeUnit.SECONDS))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("jdk-stpe");
        } finally {
            jdk.shutdown();
        }
        assertThatThrownBy(() -> Peers.create("vertx")).hasMessageContaining("vertx");
    }

    @Test
    void argsAndMedian() {
        Harness.Args args = Harness.Args.parse(new String[] {"--timers", "1_000", "--peers", "a,b"}, List.of("timers", "peers"));
        assertThat(args.intValue("timers", 5)).isEqualTo(1_000);
        assertThat(args.intValue("rounds", 5)).isEqualTo(5);
        assertThat(args.list("peers", List.of())).containsExactly("a", "b");
        assertThatThrownBy(() -> Harness.Args.parse(new String[] {"--nope", "1"}, List.of("timers")))
                .hasMessageContaining("--nope");
        assertThat(Harness.median(new long[] {5, 1, 3})).isEqualTo(3);
        assertThat(Harness.median(new long[] {4, 1, 3, 2})).isEqualTo(2);
    }
}

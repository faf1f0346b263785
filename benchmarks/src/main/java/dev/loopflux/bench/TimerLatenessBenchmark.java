package dev.loopflux.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * How late timers fire: {@code --timers} timers, each at {@code --delay-ms} after the moment it
 * is scheduled, all scheduled in one go; lateness is the {@code System.nanoTime()} at which a
 * timer's task starts minus its intended deadline ({@code nanoTime()} just before the schedule
 * call, plus the delay). Two modes: scheduled from a foreign thread (this harness's main thread),
 * and from the executor's own thread (one task schedules them all). Lateness is recorded in an
 * HdrHistogram per peer and mode over all measured rounds; p50, p99, p99.9 and max are printed
 * side by side.
 *
 * <p>A timer's task only stores a timestamp, so the last timers of a batch are late by the time
 * the executor takes to run the ones before them, as in real use.
 *
 * <p>{@code java -cp benchmarks/target/loopflux-benchmarks.jar dev.loopflux.bench.TimerLatenessBenchmark
 * [--timers 10000] [--delay-ms 10] [--rounds 5] [--warmup 2] [--peers loopflux,netty,jdk-stpe,reactor]}
 */
public final class TimerLatenessBenchmark {
    /** Highest lateness the histograms track: a minute, far beyond anything sane. */
    private static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** Where the timers are scheduled from. */
    enum Mode {
        FOREIGN("foreign thread"), LOOP("executor thread");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    /** The lateness of one or more batches: a histogram in nanoseconds, and how many fired early (counted as 0). */
    static final class Lateness {
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        int early;

        void add(Batch batch) {
            for (int i = 0; i < batch.n; i++) {
                long late = batch.fired[i] - batch.intended[i];
                if (late < 0) {
                    early++;
                    late = 0;
                }
                histogram.recordValue(Math.min(late, HIGHEST_TRACKABLE_NANOS));
            }
        }
    }

    /**
     * One batch of timers. {@link #intended} is written by the scheduling thread before each
     * schedule call; {@link #fired} and {@link #count} by the executor thread; the scheduler
     * reads both after {@link #done} completes.
     */
    static final class Batch {
        final int n;
        final long[] intended;
        final long[] fired;
        /** Timers fired so far; executor thread only (all of a batch run on that one thread). */
        int count;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** One task per timer, made before any timing starts. */
        final Runnable[] probes;

        Batch(int n) {
            this.n = n;
            this.intended = new long[n];
            this.fired = new long[n];
            this.probes = new Runnable[n];
            for (int i = 0; i < n; i++) {
                int index = i;
                probes[i] = () -> {
                    fired[index] = System.nanoTime();
                    if (++count == n) {
                        done.complete(null);
                    }
                };
            }
        }
    }

    private TimerLatenessBenchmark() {
    }

    public static void main(String[] argv) {
        Harness.Args args = Harness.Args.parse(argv, List.of("timers", "delay-ms", "rounds", "warmup", "peers"));
        int n = Math.max(1, args.intValue("timers", 10_000));
        long delayNanos = TimeUnit.MILLISECONDS.toNanos(args.intValue("delay-ms", 10));
        int rounds = Math.max(1, args.intValue("rounds", 5));
        int warmup = args.intValue("warmup", 2);
        List<String> names = args.list("peers", Peers.TIMERS);

        System.out.printf("TimerLatenessBenchmark: %,d timers at +%d ms per batch, %d warm-up + %d measured rounds"
                + " (all measured batches in one histogram per peer and mode); %s%n",
                n, TimeUnit.NANOSECONDS.toMillis(delayNanos), warmup, rounds, Runtime.version());
        Map<Mode, Map<String, Lateness>> results = new LinkedHashMap<>();
        List<Peer<?>> peers = new ArrayList<>();
        try {
            for (String name : names) {
                peers.add(Peers.create(name));
            }
            for (Mode mode : Mode.values()) {
                Map<String, Lateness> byPeer = new LinkedHashMap<>();
                names.forEach(name -> byPeer.put(name, new Lateness()));
                results.put(mode, byPeer);
                for (int r = -warmup; r < rounds; r++) {
                    for (Peer<?> peer : peers) {
                        System.gc(); // not during the batch
                        Batch batch = runBatch(peer, n, delayNanos, mode);
                        if (r >= 0) {
                            byPeer.get(peer.name()).add(batch);
                        }
                    }
                }
            }
        } finally {
            peers.forEach(Peer::shutdown);
        }
        print(results);
    }

    /**
     * Schedules {@code n} timers at {@code +delayNanos} each, from this thread or from the peer's,
     * and returns when all have fired.
     */
    static <H> Batch runBatch(Peer<H> peer, int n, long delayNanos, Mode mode) {
        Batch batch = new Batch(n);
        Runnable scheduleAll = () -> {
            for (int i = 0; i < n; i++) {
                batch.intended[i] = System.nanoTime() + delayNanos;
                peer.schedule(batch.probes[i], delayNanos, TimeUnit.NANOSECONDS);
            }
        };
        if (mode == Mode.FOREIGN) {
            scheduleAll.run();
        } else {
            Harness.onExecutor(peer, () -> {
                scheduleAll.run();
                return null;
            });
        }
        Harness.await(batch.done, TimeUnit.NANOSECONDS.toSeconds(delayNanos) + 60, peer.name());
        return batch;
    }

    private static void print(Map<Mode, Map<String, Lateness>> results) {
        System.out.println();
        System.out.println("Lateness in µs (actual start minus intended deadline):");
        System.out.printf("%-16s %-10s %10s %10s %10s %10s %10s %8s%n", "scheduled from", "peer", "p50", "p99", "p99.9", "max", "timers", "early");
        results.forEach((mode, byPeer) -> byPeer.forEach((name, l) -> {
            Histogram h = l.histogram;
            System.out.printf("%-16s %-10s %10.1f %10.1f %10.1f %10.1f %10d %8d%n", mode.label, name,
                    micros(h.getValueAtPercentile(50)), micros(h.getValueAtPercentile(99)),
                    micros(h.getValueAtPercentile(99.9)), micros(h.getMaxValue()), h.getTotalCount(), l.early);
        }));
        System.out.println();
        System.out.println("early: timers that started before their intended deadline (recorded as 0).");
        System.out.println("reactor: Schedulers.newSingle/single() is a ScheduledThreadPoolExecutor(1) underneath,"
                + " so its timers wait in the same DelayedWorkQueue as jdk-stpe's.");
    }

    private static double micros(long nanos) {
        return nanos / 1_000.0;
    }
}

package dev.loopflux.bench;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Cost of many pending timers: schedule {@code --timers} one-shot timers with random delays in
 * [1 s, 1 h], then cancel them all, everything on the executor's own thread (where an event
 * loop's own code schedules its timeouts). Reports the median over {@code --rounds} rounds, after
 * {@code --warmup} rounds, of ns per schedule and ns per cancel; for Loopflux also the time until
 * the loop has dropped the cancelled timers (its cancel is lazy); then, on a fresh executor per
 * peer, the heap retained per pending timer.
 *
 * <p>Every peer gets the same delays (fixed seed) and the same shared, never-run task. Rounds
 * go round-robin over the peers, so JIT and GC state is alike for all of them.
 *
 * <p>{@code java -cp benchmarks/target/loopflux-benchmarks.jar dev.loopflux.bench.TimerBenchmark
 * [--timers 1000000] [--rounds 5] [--warmup 2] [--seed 42] [--peers loopflux,netty,jdk-stpe,reactor]}
 */
public final class TimerBenchmark {
    /** Shared by every timer, so it adds nothing per timer; never runs (delays are at least 1 s and all are cancelled). */
    static final Runnable NOOP = () -> { };
    static final long MIN_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long MAX_DELAY_NANOS = TimeUnit.HOURS.toNanos(1);

    /**
     * One round on one peer.
     *
     * @param scheduleNanos time to schedule all timers
     * @param cancelNanos time to cancel all timers
     * @param cancelled how many cancels returned true (must be all)
     * @param purgeNanos Loopflux only: from the end of the cancels until a task on the loop sees
     *     a later loop iteration, i.e. the loop has dropped the cancelled timers; -1 for peers that
     *     remove a timer inside {@code cancel}
     */
    record Round(long scheduleNanos, long cancelNanos, int cancelled, long purgeNanos) {
    }

    private TimerBenchmark() {
    }

    public static void main(String[] argv) {
        Harness.Args args = Harness.Args.parse(argv, List.of("timers", "rounds", "warmup", "seed", "peers"));
        int n = args.intValue("timers", 1_000_000);
        int rounds = Math.max(1, args.intValue("rounds", 5));
        int warmup = args.intValue("warmup", 2);
        long seed = args.longValue("seed", 42);
        List<String> names = args.list("peers", Peers.TIMERS);

        System.out.printf("TimerBenchmark: %,d timers, delays uniform in [1 s, 1 h] (seed %d), %d warm-up + %d measured rounds,"
                + " median shown; all work on each executor's own thread; %s%n", n, seed, warmup, rounds, Runtime.version());
        long[] delays = delays(n, seed);
        Object[] handles = new Object[n];
        List<Peer<?>> peers = new ArrayList<>();
        Map<String, long[][]> results = new LinkedHashMap<>(); // peer -> {schedule[], cancel[], purge[]}
        try {
            for (String name : names) {
                peers.add(Peers.create(name));
                results.put(name, new long[3][rounds]);
            }
            for (int r = -warmup; r < rounds; r++) {
                for (Peer<?> peer : peers) {
                    System.gc(); // each round starts on a clean heap, outside the timed parts
                    Round round = round(peer, delays, handles);
                    if (round.cancelled() != n) {
                        throw new IllegalStateException(peer.name() + ": cancelled " + round.cancelled() + " of " + n);
                    }
                    if (r >= 0) {
                        long[][] res = results.get(peer.name());
                        res[0][r] = round.scheduleNanos();
                        res[1][r] = round.cancelNanos();
                        res[2][r] = round.purgeNanos();
                    }
                }
                System.out.printf("  %s round %d done%n", r < 0 ? "warm-up" : "measured", r < 0 ? r + warmup + 1 : r + 1);
            }
        } finally {
            peers.forEach(Peer::shutdown);
        }
        Map<String, Double> bytes = new LinkedHashMap<>();
        for (String name : names) {
            bytes.put(name, retainedBytesPerTimer(name, delays));
        }
        print(n, results, bytes);
    }

    /** {@code n} delays in nanoseconds, uniform in [1 s, 1 h], the same for a given seed. */
    static long[] delays(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] delays = new long[n];
        for (int i = 0; i < n; i++) {
            delays[i] = random.nextLong(MIN_DELAY_NANOS, MAX_DELAY_NANOS + 1);
        }
        return delays;
    }

    /**
     * Schedules a timer per delay, then cancels them all, each step as one task on the peer's
     * thread. {@code handles} (at least as long as {@code delays}) is scratch space, cleared on
     * return.
     */
    static <H> Round round(Peer<H> peer, long[] delays, Object[] handles) {
        int n = delays.length;
        // Until the next task starts, not just the loop that schedules: an executor may finish
        // the work of a run after it (Loopflux inserts a run's timers into its heap as the run
        // ends, with one clock reading); that work is part of scheduling.
        long scheduleStart = Harness.onExecutor(peer, () -> {
            long start = System.nanoTime();
            scheduleAll(peer, delays, handles);
            return start;
        });
        long scheduleNanos = Harness.onExecutor(peer, System::nanoTime) - scheduleStart;
        long[] afterCancel = new long[2]; // {nanoTime at the end of the cancels, loop iteration then}
        Loop loop = peer instanceof Peers.LoopfluxPeer ? ((Peers.LoopfluxPeer) peer).loop() : null;
        long[] cancel = Harness.onExecutor(peer, () -> {
            long start = System.nanoTime();
            int cancelled = 0;
            for (int i = 0; i < n; i++) {
                @SuppressWarnings("unchecked")
                H handle = (H) handles[i];
                if (peer.cancel(handle)) {
                    cancelled++;
                }
            }
            long end = System.nanoTime();
            afterCancel[0] = end;
            afterCancel[1] = loop == null ? 0 : loop.metrics().iterations();
            return new long[] {end - start, cancelled};
        });
        long purgeNanos = loop == null ? -1 : awaitPurge(loop, afterCancel[1]) - afterCancel[0];
        Arrays.fill(handles, 0, n, null);
        return new Round(scheduleNanos, cancel[0], (int) cancel[1], purgeNanos);
    }

    /** On the peer's thread: schedules one timer per delay into {@code handles}; returns the nanoseconds it took. */
    private static <H> long scheduleAll(Peer<H> peer, long[] delays, Object[] handles) {
        long start = System.nanoTime();
        for (int i = 0; i < delays.length; i++) {
            handles[i] = peer.schedule(NOOP, delays[i], TimeUnit.NANOSECONDS);
        }
        return System.nanoTime() - start;
    }

    /**
     * Loopflux cancels lazily: the loop drops cancelled timers in a later iteration. Returns the
     * {@code nanoTime} at which a task on the loop, submitted from this thread, first runs in an
     * iteration after {@code cancelIteration} (it resubmits itself until then) and sees no
     * pending timer. Resolution: one cross-thread hand-off, so it is meaningful for large counts.
     *
     * <p>{@code pendingTimers() == 0} alone would not do: it counts heap entries minus cancelled
     * ones, so it reads 0 as soon as the cancels are done, before anything is dropped. The loop
     * drops them at the start of its next iteration ({@code hasDue}/{@code runDue} pop cancelled
     * timers off the top of the heap), so a task that runs in a later iteration runs after that.
     */
    static long awaitPurge(Loop loop, long cancelIteration) {
        CompletableFuture<Long> purged = new CompletableFuture<>();
        loop.execute(new Runnable() {
            @Override
            public void run() {
                LoopMetrics m = loop.metrics();
                if (m.iterations() > cancelIteration && m.pendingTimers() == 0) {
                    purged.complete(System.nanoTime());
                } else {
                    loop.execute(this);
                }
            }
        });
        return Harness.await(purged, 300, "loopflux");
    }

    /**
     * On a fresh peer: heap in use after scheduling {@code delays.length} timers minus before,
     * per timer, both read after full collections while the peer is idle. The handle array is
     * allocated before the first reading and the task is shared, so what is left is what the
     * executor keeps per pending timer: the timer object and its queue slot.
     */
    static double retainedBytesPerTimer(String name, long[] delays) {
        Peer<?> peer = Peers.create(name);
        try {
            return retainedBytesPerTimer(peer, delays);
        } finally {
            peer.shutdown();
        }
    }

    private static <H> double retainedBytesPerTimer(Peer<H> peer, long[] delays) {
        Object[] handles = new Object[delays.length];
        Harness.onExecutor(peer, () -> 0L); // the thread and its queues are set up
        long before = Harness.settledHeapUsed();
        Harness.onExecutor(peer, () -> scheduleAll(peer, delays, handles));
        long after = Harness.settledHeapUsed();
        Harness.onExecutor(peer, () -> {
            for (int i = 0; i < delays.length; i++) {
                @SuppressWarnings("unchecked")
                H handle = (H) handles[i];
                peer.cancel(handle);
            }
            return 0L;
        });
        return (after - before) / (double) delays.length;
    }

    private static void print(int n, Map<String, long[][]> results, Map<String, Double> bytes) {
        // peer -> {ns/schedule, ns/cancel, purge ms, ns/(cancel + purge), bytes/timer}
        Map<String, double[]> medians = new LinkedHashMap<>();
        results.forEach((name, res) -> {
            boolean lazy = res[2][0] >= 0;
            long[] cancelAndPurge = new long[res[1].length];
            for (int i = 0; i < cancelAndPurge.length; i++) {
                cancelAndPurge[i] = res[1][i] + (lazy ? res[2][i] : 0);
            }
            medians.put(name, new double[] {
                    Harness.median(res[0]) / (double) n,
                    Harness.median(res[1]) / (double) n,
                    lazy ? Harness.median(res[2]) / 1e6 : Double.NaN,
                    Harness.median(cancelAndPurge) / (double) n,
                    bytes.get(name)});
        });
        System.out.println();
        System.out.printf("%-10s %12s %10s %10s %16s %12s%n", "peer", "ns/schedule", "ns/cancel", "purge ms", "ns/cancel+purge", "bytes/timer");
        medians.forEach((name, m) -> System.out.printf("%-10s %12.1f %10.1f %10s %16.1f %12.1f%n",
                name, m[0], m[1], Double.isNaN(m[2]) ? "-" : String.format("%.2f", m[2]), m[3], m[4]));
        System.out.println();
        System.out.println("Ratios, peer / reference (below 1: cheaper than the reference):");
        System.out.printf("%-10s %11s %11s %11s %11s %11s %11s %11s %11s%n", "peer", "sched/stpe", "sched/netty",
                "cncl/stpe", "cncl/netty", "c+p/stpe", "c+p/netty", "bytes/stpe", "bytes/netty");
        double[] stpe = medians.get("jdk-stpe");
        double[] netty = medians.get("netty");
        medians.forEach((name, m) -> System.out.printf("%-10s %11s %11s %11s %11s %11s %11s %11s %11s%n", name,
                ratio(m, stpe, 0), ratio(m, netty, 0), ratio(m, stpe, 1), ratio(m, netty, 1),
                ratio(m, stpe, 3), ratio(m, netty, 3), ratio(m, stpe, 4), ratio(m, netty, 4)));
        System.out.println();
        System.out.println("purge ms: Loopflux cancels lazily: cancel() only marks the timer, and the loop drops the cancelled"
                + " timers later, on its own thread; this is the time from the end of the cancels until it has done so."
                + " netty and jdk-stpe remove the timer inside cancel() ('-'). ns/cancel+purge is the whole cost per timer.");
        System.out.println("reactor: Schedulers.newSingle/single() is a ScheduledThreadPoolExecutor(1) with"
                + " removeOnCancelPolicy(true) underneath; its row is jdk-stpe plus Reactor's task wrapper.");
    }

    private static String ratio(double[] row, double[] reference, int column) {
        return reference == null ? "-" : String.format("%.2f", row[column] / reference[column]);
    }
}

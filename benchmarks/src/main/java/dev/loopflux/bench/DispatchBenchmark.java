package dev.loopflux.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Task hand-off from one foreign thread (the JMH thread) to one executor thread, the same body
 * for every peer. Every waiter does the same thing for every peer: spin with
 * {@link Thread#onSpinWait()}, or park.
 *
 * <ul>
 *   <li>{@link #burst}: throughput of {@value #BURST} submissions of one shared task, until the
 *   last has run (tasks/s).</li>
 *   <li>{@link #pingPong}: round trip of one task while the waiter spins; the executor is idle
 *   between round trips, so this is its wake-up path (µs/op).</li>
 *   <li>{@link #pingPongPark}: the same with a parked waiter that the task unparks, so both
 *   sides go through their wake-up path (µs/op).</li>
 * </ul>
 *
 * <p>Each peer runs in its own fork ({@code @Param} values are separate trials), so the
 * {@link Peer} calls are monomorphic there.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DispatchBenchmark {
    /** Tasks per {@link #burst} invocation. */
    public static final int BURST = 100_000;

    @Param({"loopflux", "netty", "reactor", "jdk"})
    public String peer;

    private Peer<?> executor;

    // ---- burst --------------------------------------------------------------------------------
    /** Tasks of the burst run so far. Executor thread only. */
    private long ran;
    /**
     * Value of {@link #ran} at which the current burst is complete. Written by the benchmark
     * thread before it submits, while no burst task is in flight; read by the burst task, which
     * sees it through the happens-before edge of {@code execute}.
     */
    private long target;
    /** Tasks submitted so far. Benchmark thread only. */
    private long submitted;
    /** Set by the last task of a burst; reset by the benchmark thread before the next. */
    private volatile boolean burstDone;
    /** The one task every burst submits, so that the benchmark thread allocates nothing. */
    private final Runnable burstTask = () -> {
        if (++ran == target) {
            burstDone = true;
        }
    };

    // ---- ping-pong ----------------------------------------------------------------------------
    /** Set by {@link #pongTask}; reset by the benchmark thread before each round trip. */
    private volatile boolean pong;
    private final Runnable pongTask = () -> pong = true;
    /** The parked waiter of {@link #pingPongPark}; written before submitting, like {@link #target}. */
    private Thread waiter;
    private final Runnable unparkTask = () -> {
        pong = true;
        LockSupport.unpark(waiter);
    };

    @Setup(Level.Trial)
    public void setUp() {
        executor = Peers.create(peer);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        executor.shutdown();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BURST)
    public long burst() {
        return runBurst(BURST);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void pingPong() {
        pong = false;
        executor.execute(pongTask);
        while (!pong) {
            Thread.onSpinWait();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void pingPongPark() {
        pong = false;
        waiter = Thread.currentThread();
        executor.execute(unparkTask);
        while (!pong) {
            LockSupport.park(this); // may return spuriously, or for an unpark left from before
        }
    }

    /**
     * Submits {@code n} tasks, waits until all have run, and returns how many burst tasks the
     * executor has run in total (the count is safe to read once {@link #burstDone} is seen).
     */
    long runBurst(int n) {
        long t = submitted + n;
        submitted = t;
        target = t;
        burstDone = false;
        Peer<?> e = executor;
        Runnable task = burstTask;
        for (int i = 0; i < n; i++) {
            e.execute(task);
        }
        while (!burstDone) {
            Thread.onSpinWait();
        }
        return ran;
    }

    /** Tasks submitted by {@link #runBurst} so far. */
    long submitted() {
        return submitted;
    }
}

package dev.loopflux.bench;

import dev.loopflux.reactor.LoopSchedulers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The loop as a Reactor Scheduler against Reactor's own single-thread scheduler:
 * {@code publishOn} throughput (items emitted on the scheduler's thread after the first request, and
 * items that all cross threads), and the cost of scheduling (and cancelling) a {@code Mono.delay}.
 *
 * <pre>java -jar benchmarks/target/loopflux-benchmarks.jar SchedulerBenchmark</pre>
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SchedulerBenchmark {
    static final int ITEMS = 100_000;
    static final int DELAYS = 10_000;

    @Param({"loopflux", "reactor"})
    public String scheduler;

    private Scheduler subject;
    /** Where {@link #publishOnAcrossThreads} emits: Reactor's own single thread, the same for both. */
    private Scheduler producer;
    private final Disposable[] pending = new Disposable[DELAYS];

    @Setup
    public void setUp() {
        subject = scheduler.equals("loopflux") ? LoopSchedulers.newSingle("bench") : Schedulers.newSingle("bench");
        subject.init();
        producer = Schedulers.newSingle("producer");
    }

    @TearDown
    public void tearDown() {
        subject.dispose();
        producer.dispose();
    }

    /** Items per second through {@code publishOn} onto the scheduler's thread. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(ITEMS)
    public Integer publishOn() {
        return Flux.range(0, ITEMS).publishOn(subject).blockLast();
    }

    /**
     * Items per second through {@code publishOn} when every item crosses threads: {@code range}
     * emits on a producer thread of its own ({@code subscribeOn}), and {@code publishOn} hands
     * the items to the scheduler's thread through its queue. The scheduler is called each time its
     * thread has drained the queue and the producer offers more, so here, unlike in
     * {@link #publishOn}, the hop is what is measured.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(ITEMS)
    public Integer publishOnAcrossThreads() {
        return Flux.range(0, ITEMS).subscribeOn(producer).publishOn(subject).blockLast();
    }

    /**
     * Nanoseconds to schedule one {@code Mono.delay} and cancel it, from the scheduler's own
     * thread: where a handler's timeouts are set and cancelled when the pipeline runs on the loop.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(DELAYS)
    public void monoDelayScheduleAndCancelOnOwnThread() throws Exception {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        subject.schedule(() -> {
            monoDelayScheduleAndCancel();
            done.complete(null);
        });
        done.get(10, TimeUnit.SECONDS);
    }

    /** Nanoseconds to schedule one {@code Mono.delay} from another thread and cancel it. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(DELAYS)
    public void monoDelayScheduleAndCancel() {
        Duration hour = Duration.ofHours(1);
        for (int i = 0; i < DELAYS; i++) {
            pending[i] = Mono.delay(hour, subject).subscribe();
        }
        for (int i = 0; i < DELAYS; i++) {
            pending[i].dispose();
        }
    }
}

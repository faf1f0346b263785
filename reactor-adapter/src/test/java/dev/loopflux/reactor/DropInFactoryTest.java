package dev.loopflux.reactor;

import static dev.loopflux.reactor.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.reactor.TestSupport.Where;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The drop-in path: with {@code Schedulers.setFactory(LoopSchedulers.factory())}, Reactor's own
 * {@code single()}, {@code parallel()}, {@code newSingle}, {@code newParallel} and every operator
 * that uses them by default run on loops, and a pipeline started on a loop stays on it.
 */
@Timeout(30)
class DropInFactoryTest {
    private static final Duration VERIFY = Duration.ofSeconds(TestSupport.WAIT_SECONDS);

    private final List<Scheduler> created = new ArrayList<>();
    private final Queue<Where> seen = new ConcurrentLinkedQueue<>();
    private LoopGroup conn;

    @BeforeEach
    void install() {
        Schedulers.setFactory(LoopSchedulers.factory());
    }

    @AfterEach
    void reset() {
        try {
            for (Scheduler scheduler : created) {
                scheduler.disposeGracefully().block(VERIFY);
            }
            if (conn != null) {
                await(conn.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)));
            }
        } finally {
            Schedulers.resetFactory(); // also disposes the cached single() and parallel()
        }
    }

    @Test
    void reactorsSchedulersRunTasksOnLoopThreads() {
        Scheduler newSingle = track(Schedulers.newSingle("x"));
        Scheduler newParallel = track(Schedulers.newParallel("y", 2));

        for (Scheduler scheduler : List.of(Schedulers.single(), Schedulers.parallel(), newSingle, newParallel)) {
            CompletableFuture<Where> ran = new CompletableFuture<>();
            scheduler.schedule(() -> ran.complete(Where.here()));
            Where where = await(ran);
            assertThat(where.onNonBlockingLoop()).as("%s ran a task on %s", scheduler, where).isTrue();
        }
    }

    @Test
    void namedSchedulersKeepTheirNames() {
        Scheduler newSingle = track(Schedulers.newSingle("x"));
        Scheduler newParallel = track(Schedulers.newParallel("y", 2));

        assertThat(threadOf(newSingle).getName()).startsWith("x");
        assertThat(threadOf(newParallel).getName()).startsWith("y");
        assertThat(threadOf(Schedulers.single()).getName()).startsWith("single");
        assertThat(threadOf(Schedulers.parallel()).getName()).startsWith("parallel");
        assertThat(Scannable.from(newSingle).scan(Scannable.Attr.NAME)).contains("x");
        assertThat(Scannable.from(newParallel).scan(Scannable.Attr.NAME)).contains("y");
    }

    @Test
    void delayElementsRunsOnLoops() {
        StepVerifier.create(Flux.range(1, 5).delayElements(Duration.ofMillis(5)).doOnNext(this::record))
                .expectNext(1, 2, 3, 4, 5)
                .expectComplete()
                .verify(VERIFY);

        assertAllOnLoops(5);
    }

    @Test
    void intervalTicksOnALoop() {
        StepVerifier.create(Flux.interval(Duration.ofMillis(5)).take(3).doOnNext(this::record))
                .expectNext(0L, 1L, 2L)
                .expectComplete()
                .verify(VERIFY);

        assertAllOnLoops(3);
    }

    @Test
    void timeoutFailsOnALoop() {
        StepVerifier.create(Mono.never().timeout(Duration.ofMillis(20)).doOnError(error -> record(error)))
                .expectError(TimeoutException.class)
                .verify(VERIFY);

        assertAllOnLoops(1);
    }

    @Test
    void publishOnParallelDeliversEverythingInOrderOnALoop() {
        StepVerifier.create(Flux.range(1, 1000).publishOn(Schedulers.parallel()).doOnNext(this::record).collectList())
                .assertNext(list -> assertThat(list).containsExactlyElementsOf(IntStream.rangeClosed(1, 1000).boxed().toList()))
                .expectComplete()
                .verify(VERIFY);

        assertAllOnLoops(1000);
        assertThat(seen.stream().map(Where::thread).distinct()).as("one worker, one loop").hasSize(1);
    }

    @Test
    void parallelRailsRunOnLoops() {
        StepVerifier.create(Flux.range(1, 100)
                        .parallel(2)
                        .runOn(Schedulers.parallel())
                        .map(i -> {
                            record(i);
                            return i * 2;
                        })
                        .sequential()
                        .collectSortedList())
                .assertNext(list -> assertThat(list).containsExactlyElementsOf(IntStream.rangeClosed(1, 100).map(i -> i * 2).boxed().toList()))
                .expectComplete()
                .verify(VERIFY);

        assertAllOnLoops(100);
    }

    @Test
    void aPipelineStartedOnAForeignLoopStaysOnIt() {
        conn = LoopGroup.create("conn", 1);
        Loop connLoop = conn.next();
        Thread connThread = await(onLoop(connLoop, Thread::currentThread));
        CompletableFuture<List<Integer>> done = new CompletableFuture<>();

        connLoop.execute(() -> Flux.range(1, 3)
                .delayElements(Duration.ofMillis(1))
                .publishOn(Schedulers.parallel())
                .doOnNext(this::record)
                .collectList()
                .subscribe(done::complete, done::completeExceptionally));

        assertThat(await(done)).containsExactly(1, 2, 3);
        assertThat(seen).hasSize(3).allSatisfy(where -> assertThat(where.thread()).isSameAs(connThread));
    }

    @Test
    void theSamePipelineStartedOffTheLoopsRunsOnParallel() {
        // The control for the test above: it is the caller's loop that keeps the signals there.
        conn = LoopGroup.create("conn", 1);
        Thread connThread = await(onLoop(conn.next(), Thread::currentThread));

        StepVerifier.create(Flux.range(1, 3).delayElements(Duration.ofMillis(1)).doOnNext(this::record))
                .expectNext(1, 2, 3)
                .expectComplete()
                .verify(VERIFY);

        // Reactor's drain loops may emit on whichever thread holds the drain: a delay that fires
        // while the subscribing thread is still in it lets that thread emit. So: no signal on the
        // connection's loop, and every other one on the parallel loops.
        Thread subscriber = Thread.currentThread();
        assertThat(seen).hasSize(3);
        assertThat(seen).noneSatisfy(where -> assertThat(where.thread()).isSameAs(connThread));
        assertThat(seen).filteredOn(where -> where.thread() != subscriber)
                .allSatisfy(where -> assertThat(where.thread().getName()).startsWith("parallel"));
    }

    private Scheduler track(Scheduler scheduler) {
        created.add(scheduler);
        return scheduler;
    }

    private void record(Object signal) {
        seen.add(Where.here());
    }

    private void assertAllOnLoops(int signals) {
        assertThat(seen).hasSize(signals).allSatisfy(where -> assertThat(where.onNonBlockingLoop()).as("%s", where).isTrue());
    }

    private static Thread threadOf(Scheduler scheduler) {
        CompletableFuture<Thread> ran = new CompletableFuture<>();
        scheduler.schedule(() -> ran.complete(Thread.currentThread()));
        return await(ran);
    }

    private static <T> CompletableFuture<T> onLoop(Loop loop, Supplier<T> what) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> result.complete(what.get()));
        return result;
    }
}

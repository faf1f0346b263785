package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoopGroupTest {

    private static Thread threadOf(Loop loop) throws Exception {
        CompletableFuture<Thread> thread = new CompletableFuture<>();
        loop.execute(() -> thread.complete(Thread.currentThread()));
        return thread.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aGroupOfFourHasFourDistinctThreadsNamedAfterIt() throws Exception {
        LoopGroup group = LoopGroup.create("g", 4);
        try {
            assertThat(group.size()).isEqualTo(4);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Loop loop = group.loops().get(i);
                assertThat(loop.name()).isEqualTo("g-" + i);
                Thread t = threadOf(loop);
                assertThat(t.getName()).isEqualTo("g-" + i);
                threads.add(t);
            }
            assertThat(threads).doesNotHaveDuplicates();
            assertThat(group).containsExactlyElementsOf(group.loops());
            assertThatThrownBy(() -> group.loops().add(group.loops().get(0)))
                    .isInstanceOf(UnsupportedOperationException.class);
        } finally {
            group.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void nextCyclesThroughEveryLoopInOrder() throws Exception {
        LoopGroup group = LoopGroup.create("rr", 4);
        try {
            List<Loop> handedOut = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                handedOut.add(group.next());
            }
            List<Loop> loops = group.loops();
            List<Loop> expected = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                expected.add(loops.get(i % 4));
            }
            assertThat(handedOut).containsExactlyElementsOf(expected);
        } finally {
            group.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void nextFromManyThreadsSpreadsEvenly() throws Exception {
        LoopGroup group = LoopGroup.create("spread", 4);
        try {
            int threads = 8;
            int perThread = 10_000;
            Map<Loop, AtomicInteger> counts = new ConcurrentHashMap<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread w = new Thread(() -> {
                    Map<Loop, Integer> local = new HashMap<>();
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        local.merge(group.next(), 1, Integer::sum);
                    }
                    local.forEach((loop, n) -> counts.computeIfAbsent(loop, k -> new AtomicInteger()).addAndGet(n));
                });
                workers.add(w);
                w.start();
            }
            go.countDown();
            for (Thread w : workers) {
                w.join(10_000);
            }
            assertThat(counts).hasSize(4);
            assertThat(counts.values()).allSatisfy(n -> assertThat(n).hasValue(threads * perThread / 4));
        } finally {
            group.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shuttingTheGroupDownTerminatesEveryLoopAndThread() throws Exception {
        LoopGroup group = LoopGroup.create("down", 4);
        List<Thread> threads = new ArrayList<>();
        try {
            for (Loop loop : group) {
                threads.add(threadOf(loop));
            }
            AtomicInteger ran = new AtomicInteger();
            for (int i = 0; i < 400; i++) {
                group.next().execute(ran::incrementAndGet);
            }
            CompletableFuture<Void> termination = group.shutdownGracefully();
            assertThat(termination).isSameAs(group.terminationFuture());
            termination.get(10, TimeUnit.SECONDS);
            assertThat(ran).hasValue(400);
            assertThat(group.isTerminated()).isTrue();
            for (Loop loop : group) {
                assertThat(loop.isTerminated()).as(loop.name()).isTrue();
            }
            for (Thread t : threads) {
                t.join(10_000);
                assertThat(t.isAlive()).as(t.getName()).isFalse();
            }
        } finally {
            group.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theGroupTerminatesOnlyWhenItsLastLoopDoes() throws Exception {
        LoopGroup group = LoopGroup.create("partial", 2);
        try {
            group.loops().get(0).shutdownGracefully().get(10, TimeUnit.SECONDS);
            assertThat(group.isTerminated()).isFalse();
            assertThat(group.terminationFuture()).isNotDone();
            group.loops().get(1).shutdownGracefully().get(10, TimeUnit.SECONDS);
            group.terminationFuture().get(10, TimeUnit.SECONDS);
            assertThat(group.isTerminated()).isTrue();
        } finally {
            group.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDefaultGroupHasOneLoopPerAvailableProcessor() throws Exception {
        LoopGroup group = LoopGroup.create();
        try {
            int cpus = Runtime.getRuntime().availableProcessors();
            assertThat(group.size()).isEqualTo(cpus);
            for (int i = 0; i < cpus; i++) {
                assertThat(group.loops().get(i).name()).isEqualTo("loopflux-" + i);
            }
        } finally {
            group.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aGroupSizeOutOfRangeIsRejected() {
        assertThatThrownBy(() -> LoopGroup.create("bad", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0");
        assertThatThrownBy(() -> LoopOptions.builder().loops(4097))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timer queue against a model: timers handed over from "other threads" and timers set by a
 * run and given their deadlines as it ends (many equal deadlines, some across the wrap of the
 * nanosecond counter), cancels, sweeps and runs. Each timer must run exactly when due, in
 * deadline order, and in call order among equal deadlines of the same kind (a hand-over and a
 * timer set on the loop come from different threads: no order between them).
 */
@Timeout(60)
class TimerQueueTest {

    /** What the model knows of one timer. */
    private static final class Entry {
        final int id;
        /** Call order: the tie-breaker among equal deadlines of the same kind. */
        final long order;
        /** Handed over, rather than set by a run on the loop. */
        boolean handedOver;
        long deadline;
        boolean cancelled;
        boolean ran;
        ScheduledTimer timer;

        Entry(int id, long order) {
            this.id = id;
            this.order = order;
        }

        boolean live() {
            return !cancelled && !ran;
        }
    }

    @Test
    void runsEveryLiveTimerInDeadlineThenCallOrderWhateverTheMixOfOperations() {
        for (long seed = 0; seed < 30; seed++) {
            // Every other seed starts the clock just before the wrap of long.
            long start = seed % 2 == 0 ? 0 : Long.MAX_VALUE - 3_000;
            checkAgainstModel(new Random(seed), start, seed);
        }
    }

    private static void checkAgainstModel(Random random, long start, long seed) {
        ManualClock clock = new ManualClock(start);
        TimerQueue queue = new TimerQueue(clock);
        List<Entry> all = new ArrayList<>();
        List<Entry> live = new ArrayList<>();
        List<Integer> ran = new ArrayList<>();
        Comparator<Entry> heapOrder = Comparator.<Entry>comparingLong(e -> e.deadline - start).thenComparingLong(e -> e.order);
        for (int step = 0; step < 2_000; step++) {
            int op = random.nextInt(10);
            if (op < 4) { // one timer handed over, with its deadline, as from another thread
                Entry e = new Entry(all.size(), all.size());
                e.handedOver = true;
                e.deadline = clock.nanoTime() + random.nextInt(random.nextBoolean() ? 8 : 5_000);
                e.timer = new ScheduledTimer(queue, () -> {
                    e.ran = true;
                    ran.add(e.id);
                }, e.deadline, 0);
                queue.handOver(e.timer, e.deadline);
                all.add(e);
                live.add(e);
            } else if (op < 6) { // a run sets a few timers, may cancel some, takes a while, ends
                List<Entry> batch = new ArrayList<>();
                List<Long> delays = new ArrayList<>();
                for (int i = 0, n = 1 + random.nextInt(20); i < n; i++) {
                    Entry e = new Entry(all.size(), all.size());
                    long delay = random.nextInt(random.nextBoolean() ? 4 : 5_000);
                    e.timer = new ScheduledTimer(queue, () -> {
                        e.ran = true;
                        ran.add(e.id);
                    }, 0, 0);
                    queue.addAfterRun(e.timer, delay);
                    all.add(e);
                    if (random.nextInt(4) == 0) {
                        assertThat(e.timer.cancel()).isTrue();
                        e.cancelled = true;
                    } else {
                        batch.add(e);
                        delays.add(delay);
                    }
                }
                clock.advance(Duration.ofNanos(random.nextInt(3))); // the rest of the run
                long end = clock.nanoTime();
                queue.flushDeferred();
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).deadline = end + delays.get(i);
                }
                live.addAll(batch);
            } else if (op < 8) { // cancel a random timer, run, cancelled or pending
                if (!all.isEmpty()) {
                    Entry e = all.get(random.nextInt(all.size()));
                    boolean cancelled = e.timer.cancel();
                    assertThat(cancelled).isEqualTo(e.live());
                    e.cancelled |= cancelled;
                }
            } else { // time moves, what is due runs
                clock.advance(Duration.ofNanos(random.nextInt(op == 8 ? 10 : 3_000)));
                long now = clock.nanoTime();
                live.removeIf(e -> !e.live());
                List<Entry> due = live.stream().filter(e -> e.deadline - now <= 0).toList();
                int before = ran.size();
                assertThat(queue.runDue(now, Runnable::run)).isEqualTo(due.size());
                List<Entry> order = ran.subList(before, ran.size()).stream().map(all::get).toList();
                assertThat(order).as("seed %d step %d", seed, step).containsExactlyInAnyOrderElementsOf(due);
                for (int i = 1; i < order.size(); i++) {
                    Entry a = order.get(i - 1);
                    Entry b = order.get(i);
                    assertThat(a.deadline - start).as("seed %d step %d", seed, step).isLessThanOrEqualTo(b.deadline - start);
                    if (a.deadline == b.deadline && a.handedOver == b.handedOver) {
                        assertThat(a.order).as("seed %d step %d: call order", seed, step).isLessThan(b.order);
                    }
                }
            }
            live.removeIf(e -> !e.live());
            assertThat(queue.pending()).as("seed %d step %d", seed, step).isEqualTo(live.size());
            // Exact for the heap; for timers still handed over, never later than the earliest.
            long now = clock.nanoTime();
            long next = queue.nextDeadline();
            Entry first = live.stream().min(heapOrder).orElse(null);
            if (first != null) {
                assertThat(next - now).as("seed %d step %d", seed, step).isLessThanOrEqualTo(first.deadline - now);
            }
        }
    }

    @Test
    void aSweepKeepsTheOrderOfTheLiveTimers() {
        ManualClock clock = new ManualClock();
        TimerQueue queue = new TimerQueue(clock);
        Random random = new Random(7);
        List<Entry> live = new ArrayList<>();
        List<Integer> ran = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Entry e = new Entry(i, i);
            e.deadline = random.nextInt(1_000); // many ties
            e.timer = new ScheduledTimer(queue, () -> ran.add(e.id), e.deadline, 0);
            queue.add(e.timer);
            if (random.nextInt(10) < 7) {
                e.timer.cancel();
            } else {
                live.add(e);
            }
        }
        assertThat(queue.purgeIfWorthIt()).isTrue();
        assertThat(queue.pending()).isEqualTo(live.size());
        queue.runDue(1_000, Runnable::run);
        live.sort(Comparator.<Entry>comparingLong(e -> e.deadline).thenComparingLong(e -> e.order));
        assertThat(ran).isEqualTo(live.stream().map(e -> e.id).toList());
    }

    /**
     * A run on a real loop sets timers while another thread cancels them, some before the run ends
     * (they never enter the heap), some after: every cancel that returned true kept its timer from
     * running, every other timer ran once, and the loop counts exactly the one timer still pending
     * (a count off either way would show: it is not clamped at 0).
     */
    @Test
    void cancelsFromAnotherThreadRaceTheEndOfTheRunThatSetTheTimers() throws Exception {
        Loop loop = Loop.create("run-cancel-race");
        try {
            TimerHandle sentinel = loop.schedule(() -> { }, 1, TimeUnit.HOURS);
            for (int round = 0; round < 200; round++) {
                int n = 64;
                AtomicReferenceArray<TimerHandle> handles = new AtomicReferenceArray<>(n);
                AtomicInteger[] runs = new AtomicInteger[n];
                boolean[] cancelled = new boolean[n];
                ConcurrentLinkedQueue<Integer> toCancel = new ConcurrentLinkedQueue<>();
                AtomicInteger cancelsDone = new AtomicInteger();
                CountDownLatch allSet = new CountDownLatch(1);
                Thread canceller = new Thread(() -> {
                    for (int done = 0; done < n / 2; ) {
                        Integer i = toCancel.poll();
                        if (i == null) {
                            Thread.onSpinWait();
                            continue;
                        }
                        cancelled[i] = handles.get(i).cancel();
                        done++;
                        cancelsDone.incrementAndGet();
                    }
                }, "canceller");
                canceller.start();
                loop.execute(() -> {
                    for (int i = 0; i < n; i++) {
                        AtomicInteger count = runs[i] = new AtomicInteger();
                        handles.set(i, loop.schedule(count::incrementAndGet, i % 3, TimeUnit.MILLISECONDS));
                        if (i % 2 == 0) {
                            toCancel.add(i);
                        }
                    }
                    // End the run after some of the cancels, not all: the rest land after the flush.
                    long giveUp = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                    while (cancelsDone.get() < n / 4 && System.nanoTime() - giveUp < 0) {
                        Thread.onSpinWait();
                    }
                    allSet.countDown();
                });
                assertThat(allSet.await(10, TimeUnit.SECONDS)).isTrue();
                canceller.join(10_000);
                assertThat(canceller.isAlive()).isFalse();
                CountDownLatch settled = new CountDownLatch(1);
                // Set by a later run, so its deadline comes after every deadline the first run set.
                loop.execute(() -> loop.schedule(settled::countDown, 3, TimeUnit.MILLISECONDS));
                assertThat(settled.await(10, TimeUnit.SECONDS)).isTrue();
                for (int i = 0; i < n; i++) {
                    assertThat(runs[i].get()).as("round %d timer %d cancelled=%s", round, i, cancelled[i])
                            .isEqualTo(cancelled[i] ? 0 : 1);
                }
                CountDownLatch checked = new CountDownLatch(1);
                int[] pending = new int[1];
                loop.execute(() -> {
                    pending[0] = loop.metrics().pendingTimers();
                    checked.countDown();
                });
                assertThat(checked.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(pending[0]).as("round %d", round).isEqualTo(1);
            }
            assertThat(sentinel.cancel()).isTrue();
        } finally {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }
}

package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TaskQueueTest {

    /** A queue element that says who produced it and in which order. */
    record Item(int producer, int seq) implements Runnable {
        @Override
        public void run() {
        }
    }

    @Test
    void oneProducerIsFifoAcrossManyChunkBoundaries() {
        TaskQueue<Runnable> queue = new TaskQueue<>();
        int total = 10 * TaskQueue.CHUNK_SIZE + 7;
        int produced = 0;
        int consumed = 0;
        // Interleave bursts of offers with partial drains so that the consumer crosses chunk
        // boundaries both while the producer is ahead by several chunks and right behind it.
        int[] bursts = {1, TaskQueue.CHUNK_SIZE - 1, 1, 3 * TaskQueue.CHUNK_SIZE, 17, 2 * TaskQueue.CHUNK_SIZE + 5};
        int b = 0;
        while (consumed < total) {
            int burst = Math.min(bursts[b++ % bursts.length], total - produced);
            for (int i = 0; i < burst; i++) {
                queue.offer(new Item(0, produced++));
            }
            assertThat(queue.size()).isEqualTo(produced - consumed);
            int drain = (produced - consumed + 1) / 2;
            if (produced == total) {
                drain = produced - consumed;
            }
            for (int i = 0; i < drain; i++) {
                Item item = (Item) queue.poll();
                assertThat(item).as("poll #%d", consumed).isNotNull();
                assertThat(item.seq()).isEqualTo(consumed);
                consumed++;
            }
        }
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.size()).isZero();
    }

    @Test
    void exactChunkBoundariesAreCrossedInOrder() {
        TaskQueue<Runnable> queue = new TaskQueue<>();
        for (int round = 0; round < 4; round++) {
            int n = TaskQueue.CHUNK_SIZE * (round + 1);
            for (int i = 0; i < n; i++) {
                queue.offer(new Item(round, i));
            }
            for (int i = 0; i < n; i++) {
                Item item = (Item) queue.poll();
                assertThat(item).isEqualTo(new Item(round, i));
            }
            assertThat(queue.poll()).isNull();
            assertThat(queue.isEmpty()).isTrue();
        }
    }

    @Test
    void fourProducersQuarterMillionEachDeliverEveryItemOnceInPerProducerOrder() throws Exception {
        TaskQueue<Runnable> queue = new TaskQueue<>();
        int producers = 4;
        int perProducer = 250_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            Item[] items = new Item[perProducer];
            for (int i = 0; i < perProducer; i++) {
                items[i] = new Item(p, i);
            }
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (Item item : items) {
                    queue.offer(item);
                }
            }, "producer-" + p);
            threads.add(t);
            t.start();
        }
        int[] next = new int[producers];
        AtomicReference<String> failure = new AtomicReference<>();
        start.countDown();
        int received = 0;
        while (received < producers * perProducer) {
            Runnable r = queue.poll();
            if (r == null) {
                // Empty, or a claimed-but-unstored slot, or a chunk not linked yet: come back.
                Thread.onSpinWait();
                continue;
            }
            Item item = (Item) r;
            if (item.seq() != next[item.producer()]) {
                failure.compareAndSet(null, "producer " + item.producer() + ": expected seq "
                        + next[item.producer()] + " but got " + item.seq());
                break;
            }
            next[item.producer()]++;
            received++;
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(failure.get()).isNull();
        assertThat(next).containsOnly(perProducer);
        assertThat(queue.poll()).as("nothing extra").isNull();
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.size()).isZero();
    }

    /**
     * Simulates a producer that claimed a slot (the atomic add) and was descheduled before its
     * store, while another producer claimed and stored the next slot: poll must return null
     * rather than skip, and hand out both, in order, once the slow one stores.
     */
    @Test
    void pollReturnsNullForAClaimedButUnstoredSlotAndLaterDeliversIt() {
        TaskQueue<Runnable> queue = new TaskQueue<>();
        for (int i = 0; i < TaskQueue.CHUNK_SIZE - 1; i++) {
            queue.offer(new Item(0, i));
        }
        // The slow producer claims slot 1023, the last of chunk 0 ...
        long claimed = queue.producerIndex++;
        assertThat(claimed).isEqualTo(TaskQueue.CHUNK_SIZE - 1);
        TaskQueue.Chunk chunkOfClaim = queue.producerChunk;
        // ... a fast producer fills slot 1024, the first of a new chunk.
        queue.offer(new Item(0, TaskQueue.CHUNK_SIZE));

        for (int i = 0; i < TaskQueue.CHUNK_SIZE - 1; i++) {
            assertThat(queue.poll()).isEqualTo(new Item(0, i));
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            assertThat(queue.poll()).as("the claimed slot is not stored yet").isNull();
            assertThat(queue.isEmpty()).isFalse();
            assertThat(queue.size()).isEqualTo(2);
        }
        // The slow producer stores at last.
        chunkOfClaim.slots[(int) (claimed & (TaskQueue.CHUNK_SIZE - 1))] = new Item(0, (int) claimed);

        assertThat(queue.poll()).isEqualTo(new Item(0, TaskQueue.CHUNK_SIZE - 1));
        assertThat(queue.poll()).isEqualTo(new Item(0, TaskQueue.CHUNK_SIZE));
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isTrue();
    }

    /**
     * The slow producer's slot is the first of a chunk nobody has linked yet; a fast producer
     * then links it and stores the slot after. The consumer must step into the new chunk, wait
     * on the empty first slot, and not lose it.
     */
    @Test
    void aClaimedSlotAtTheStartOfAnUnlinkedChunkIsNotLost() {
        TaskQueue<Runnable> queue = new TaskQueue<>();
        for (int i = 0; i < TaskQueue.CHUNK_SIZE; i++) {
            queue.offer(new Item(0, i));
        }
        for (int i = 0; i < TaskQueue.CHUNK_SIZE; i++) {
            assertThat(queue.poll()).isEqualTo(new Item(0, i));
        }
        long claimed = queue.producerIndex++; // slow producer: slot 1024, chunk 1 not linked yet
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isFalse();

        queue.offer(new Item(0, TaskQueue.CHUNK_SIZE + 1)); // fast producer links chunk 1
        assertThat(queue.poll()).isNull();
        assertThat(queue.poll()).isNull();

        TaskQueue.Chunk chunk1 = queue.producerChunk;
        assertThat(chunk1.index).isEqualTo(1);
        chunk1.slots[(int) (claimed & (TaskQueue.CHUNK_SIZE - 1))] = new Item(0, (int) claimed);

        assertThat(queue.poll()).isEqualTo(new Item(0, TaskQueue.CHUNK_SIZE));
        assertThat(queue.poll()).isEqualTo(new Item(0, TaskQueue.CHUNK_SIZE + 1));
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void aConsumerRacingProducersAcrossChunkBoundariesLosesNothing() throws Exception {
        // Many short races, each starting on a fresh queue, so that chunk links are created
        // while the consumer is waiting right at the boundary.
        for (int round = 0; round < 200; round++) {
            TaskQueue<Runnable> queue = new TaskQueue<>();
            int perProducer = TaskQueue.CHUNK_SIZE + round % 7;
            CountDownLatch go = new CountDownLatch(1);
            Thread[] producers = new Thread[2];
            for (int p = 0; p < producers.length; p++) {
                int id = p;
                producers[p] = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perProducer; i++) {
                        queue.offer(new Item(id, i));
                    }
                });
                producers[p].start();
            }
            go.countDown();
            int[] next = new int[producers.length];
            int received = 0;
            while (received < producers.length * perProducer) {
                Item item = (Item) queue.poll();
                if (item == null) {
                    Thread.onSpinWait();
                    continue;
                }
                assertThat(item.seq()).as("round %d producer %d", round, item.producer()).isEqualTo(next[item.producer()]);
                next[item.producer()]++;
                received++;
            }
            for (Thread t : producers) {
                t.join(10_000);
            }
            assertThat(queue.poll()).isNull();
            assertThat(queue.isEmpty()).isTrue();
        }
    }
}

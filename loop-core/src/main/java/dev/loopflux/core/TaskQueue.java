package dev.loopflux.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Unbounded multi-producer, single-consumer queue of tasks (or of other elements: timers handed
 * over, see {@link TimerHandOvers}), stored in linked chunks of {@value #CHUNK_SIZE} slots.
 *
 * <p>A producer claims a slot with one atomic add on {@code producerIndex} (no CAS retry loop
 * under contention), finds the chunk that holds the slot and publishes the element with a
 * release store. Nothing is allocated per element; a chunk is allocated once per
 * {@value #CHUNK_SIZE} elements. Chunks are appended lock-free: the producers that need a chunk
 * race one CAS on {@code next}, the losers drop theirs.
 *
 * <p>Between its claim and its store a producer's slot is visible as claimed but empty. So
 * {@link #isEmpty()} reads indices (it answers "something was claimed", which the wake-up
 * protocol needs), while {@link #poll()} returns {@code null} for a slot not yet stored; the
 * consumer simply comes back to it on its next round.
 *
 * <p>Threading: {@link #offer} from any thread; {@link #poll}, {@link #size} and the rest of
 * the consumer side from the single consumer thread only.
 */
final class TaskQueue<E> extends TaskQueueConsumerFields {
    static final int CHUNK_SIZE = 1024;
    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK_SIZE);
    private static final int CHUNK_MASK = CHUNK_SIZE - 1;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle PRODUCER_INDEX;
    private static final VarHandle PRODUCER_CHUNK;
    private static final VarHandle CONSUMER_INDEX;
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PRODUCER_INDEX = lookup.findVarHandle(TaskQueueProducerFields.class, "producerIndex", long.class);
            PRODUCER_CHUNK = lookup.findVarHandle(TaskQueueProducerFields.class, "producerChunk", Chunk.class);
            CONSUMER_INDEX = lookup.findVarHandle(TaskQueueConsumerFields.class, "consumerIndex", long.class);
            NEXT = lookup.findVarHandle(Chunk.class, "next", Chunk.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    TaskQueue() {
        Chunk first = new Chunk(0, null);
        producerChunk = first;
        consumerChunk = first;
    }

    /**
     * Adds {@code task}; never fails, never blocks. Safe from any thread.
     *
     * @return the index of the slot it took; tasks are polled in index order
     */
    long offer(E task) {
        long index = (long) PRODUCER_INDEX.getAndAdd(this, 1L);
        long chunkIndex = index >>> CHUNK_SHIFT;
        Chunk chunk = (Chunk) PRODUCER_CHUNK.getAcquire(this);
        if (chunk.index != chunkIndex) {
            chunk = findChunk(chunk, chunkIndex);
        }
        SLOTS.setRelease(chunk.slots, (int) (index & CHUNK_MASK), task);
        return index;
    }

    /** Walks from the producers' hint to chunk {@code chunkIndex}, appending chunks as needed. */
    private Chunk findChunk(Chunk from, long chunkIndex) {
        Chunk chunk = from;
        // The hint may be ahead of us: a faster producer already moved it past our chunk. Our
        // chunk cannot have been freed, because the consumer has not read our slot yet.
        while (chunk.index > chunkIndex) {
            chunk = chunk.prev;
        }
        while (chunk.index < chunkIndex) {
            Chunk next = (Chunk) NEXT.getAcquire(chunk);
            if (next == null) {
                Chunk created = new Chunk(chunk.index + 1, chunk);
                Chunk witness = (Chunk) NEXT.compareAndExchange(chunk, null, created);
                next = witness == null ? created : witness;
            }
            chunk = next;
        }
        // Move the hint forward (never back), so that most producers find their chunk at once.
        Chunk hint = (Chunk) PRODUCER_CHUNK.getAcquire(this);
        while (hint.index < chunk.index) {
            Chunk witness = (Chunk) PRODUCER_CHUNK.compareAndExchange(this, hint, chunk);
            if (witness == hint) {
                break;
            }
            hint = witness;
        }
        return chunk;
    }

    /**
     * Removes the next task, or returns {@code null} when there is none or when its producer has
     * claimed the slot but not yet stored into it. Consumer thread only.
     */
    @SuppressWarnings("unchecked")
    E poll() {
        long index = consumerIndex;
        int offset = (int) (index & CHUNK_MASK);
        Chunk chunk = consumerChunk;
        if (chunk.index != index >>> CHUNK_SHIFT) {
            // The previous chunk is used up: step to the next one, if a producer linked it yet.
            Chunk next = (Chunk) NEXT.getAcquire(chunk);
            if (next == null) {
                return null;
            }
            next.prev = null; // nobody walks back past the consumer; let the old chunk go
            consumerChunk = chunk = next;
        }
        Object[] slots = chunk.slots;
        E task = (E) SLOTS.getAcquire(slots, offset);
        if (task == null) {
            return null;
        }
        slots[offset] = null;
        CONSUMER_INDEX.setOpaque(this, index + 1);
        return task;
    }

    /**
     * True when no slot has been claimed past the consumer. Any thread; exact on the consumer
     * thread, a snapshot elsewhere. A claimed slot whose store is still in flight counts as
     * not empty.
     */
    boolean isEmpty() {
        return (long) CONSUMER_INDEX.getOpaque(this) == (long) PRODUCER_INDEX.getVolatile(this);
    }

    /** Slots claimed so far: the index the next {@link #offer} takes. Any thread; a volatile read. */
    long claimed() {
        return (long) PRODUCER_INDEX.getVolatile(this);
    }

    /** Index of the next slot {@link #poll} reads. Consumer thread. */
    long consumed() {
        return consumerIndex;
    }

    /** Tasks claimed and not yet polled. Any thread; a snapshot. */
    int size() {
        long consumer = (long) CONSUMER_INDEX.getOpaque(this);
        long producer = (long) PRODUCER_INDEX.getVolatile(this);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, producer - consumer));
    }

    /** One chunk of slots; {@code index} counts chunks from the start of the queue. */
    static final class Chunk {
        /** Position of this chunk in the queue: slot {@code i} holds element {@code index * CHUNK_SIZE + i}. */
        final long index;
        /** Elements; a slot is null until its producer stores, and again once consumed. */
        final Object[] slots = new Object[CHUNK_SIZE];
        /** The chunk before this one, for producers whose hint ran ahead; cleared by the consumer. */
        Chunk prev;
        /** The chunk after this one, linked once by whichever producer needed it first. */
        volatile Chunk next;

        Chunk(long index, Chunk prev) {
            this.index = index;
            this.prev = prev;
        }
    }
}

// Field layout: producer and consumer fields are kept on separate cache lines, so that the
// producers' atomic adds do not keep invalidating the line the consumer reads on every poll.

abstract class TaskQueuePad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07;
    long p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class TaskQueueProducerFields extends TaskQueuePad0 {
    /** Next slot a producer will claim. */
    volatile long producerIndex;
    /** A recent chunk, where most producers find their slot. */
    volatile TaskQueue.Chunk producerChunk;
}

abstract class TaskQueuePad1 extends TaskQueueProducerFields {
    long p10, p11, p12, p13, p14, p15, p16, p17;
    long p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

abstract class TaskQueueConsumerFields extends TaskQueuePad1 {
    /** Next slot the consumer reads; written by the consumer only. */
    long consumerIndex;
    /** Chunk that holds {@code consumerIndex}. */
    TaskQueue.Chunk consumerChunk;
    long p20, p21, p22, p23, p24, p25, p26, p27;
    long p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}

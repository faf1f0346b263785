package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SelectorSpinTest {

    /**
     * Once armed, the first selector it is given is "broken" as by the epoll spin bug: its
     * selects return 0 at once, without waiting and without looking at the channels, for
     * {@code spinCalls} calls. Any other selector behaves as the JDK's.
     */
    static final class SpinningStrategy implements SelectStrategy {
        final int spinCalls;
        final Set<Selector> seen = ConcurrentHashMap.newKeySet();
        final AtomicInteger spins = new AtomicInteger();
        final CountDownLatch spunOut = new CountDownLatch(1);
        final CountDownLatch otherSelectorUsed = new CountDownLatch(1);
        volatile boolean armed;
        volatile Selector broken;

        SpinningStrategy(int spinCalls) {
            this.spinCalls = spinCalls;
        }

        @Override
        public int select(Selector selector, Consumer<SelectionKey> action, long timeoutMillis) throws IOException {
            seen.add(selector);
            if (armed) {
                if (broken == null) {
                    broken = selector;
                }
                if (selector == broken) {
                    if (spins.get() < spinCalls) {
                        if (spins.incrementAndGet() == spinCalls) {
                            spunOut.countDown();
                        }
                        return 0;
                    }
                } else {
                    otherSelectorUsed.countDown();
                }
            }
            return SelectStrategy.DEFAULT.select(selector, action, timeoutMillis);
        }

        @Override
        public void wakeup(Selector selector) {
            SelectStrategy.DEFAULT.wakeup(selector);
        }
    }

    private Loop loop;
    private Pipe pipe;
    private SocketPair sockets;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (loop != null) {
                loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
            }
        } finally {
            if (pipe != null) {
                pipe.sink().close();
                pipe.source().close();
            }
            if (sockets != null) {
                sockets.close();
            }
        }
    }

    /** Registers a pipe source and a socket for reads, and returns latches for their data. */
    private CountDownLatch[] registerReaders(AtomicBoolean allOnLoop) throws Exception {
        pipe = Pipe.open();
        sockets = SocketPair.open();
        CountDownLatch pipeRead = new CountDownLatch(1);
        CountDownLatch socketRead = new CountDownLatch(1);
        loop.register(pipe.source(), SelectionKey.OP_READ, (r, ops) -> {
            allOnLoop.compareAndSet(true, loop.inLoop());
            ByteBuffer buf = ByteBuffer.allocate(64);
            if (((Pipe.SourceChannel) r.channel()).read(buf) > 0) {
                pipeRead.countDown();
            }
        }).get(10, TimeUnit.SECONDS);
        loop.register(sockets.local, SelectionKey.OP_READ, (r, ops) -> {
            allOnLoop.compareAndSet(true, loop.inLoop());
            String s = SocketPair.readAvailable((SocketChannel) r.channel());
            if (s != null && !s.isEmpty()) {
                socketRead.countDown();
            }
        }).get(10, TimeUnit.SECONDS);
        return new CountDownLatch[] {pipeRead, socketRead};
    }

    private void awaitTask() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aSpinningSelectorIsReplacedAndItsChannelsMoveToTheNewOne() throws Exception {
        // Spins far longer than the threshold: only a rebuild gets the loop off it.
        SpinningStrategy strategy = new SpinningStrategy(10_000);
        loop = Loop.create(LoopOptions.builder().name("spin").selectStrategy(strategy).selectorRebuildThreshold(16).build());
        AtomicBoolean allOnLoop = new AtomicBoolean(true);
        CountDownLatch[] reads = registerReaders(allOnLoop);
        assertThat(strategy.seen).hasSize(1);
        Selector original = strategy.seen.iterator().next();

        strategy.armed = true;
        awaitTask(); // wakes the loop; its next selects spin

        assertThat(strategy.otherSelectorUsed.await(10, TimeUnit.SECONDS)).as("a new selector was used").isTrue();
        assertThat(strategy.broken).isSameAs(original);
        assertThat(loop.metrics().selectorRebuilds()).isGreaterThanOrEqualTo(1);
        assertThat(strategy.spins.get()).as("spins before the rebuild").isBetween(16, 10_000 - 1);
        assertThat(strategy.seen).hasSizeGreaterThanOrEqualTo(2);
        assertThat(original.isOpen()).as("the old selector is closed").isFalse();

        pipe.sink().write(ByteBuffer.wrap(new byte[] {42}));
        sockets.peerWrites("after the rebuild");
        assertThat(reads[0].await(10, TimeUnit.SECONDS)).as("pipe readiness after the rebuild").isTrue();
        assertThat(reads[1].await(10, TimeUnit.SECONDS)).as("socket readiness after the rebuild").isTrue();
        assertThat(allOnLoop).isTrue();
        assertThat(loop.metrics().registrations()).isEqualTo(2);
    }

    @Test
    void withTheThresholdAtZeroTheSelectorIsNeverReplaced() throws Exception {
        SpinningStrategy strategy = new SpinningStrategy(200);
        loop = Loop.create(LoopOptions.builder().name("no-rebuild").selectStrategy(strategy).selectorRebuildThreshold(0).build());
        AtomicBoolean allOnLoop = new AtomicBoolean(true);
        CountDownLatch[] reads = registerReaders(allOnLoop);
        Selector original = strategy.seen.iterator().next();

        strategy.armed = true;
        awaitTask();
        assertThat(strategy.spunOut.await(10, TimeUnit.SECONDS)).as("all 200 spins happened").isTrue();
        awaitTask(); // the loop is past the spin and still serves tasks

        assertThat(loop.metrics().selectorRebuilds()).isZero();
        assertThat(strategy.otherSelectorUsed.getCount()).isEqualTo(1);
        assertThat(strategy.seen).containsExactly(original);
        assertThat(original.isOpen()).isTrue();

        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        sockets.peerWrites("still there");
        assertThat(reads[0].await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(reads[1].await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(allOnLoop).isTrue();
    }

    @Test
    void selectsThatWaitTheirTimeoutAreNotMistakenForASpin() throws Exception {
        loop = Loop.create(LoopOptions.builder().name("timed").selectorRebuildThreshold(4).build());
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        TimerHandle[] handle = new TimerHandle[1];
        loop.execute(() -> handle[0] = loop.scheduleAtFixedRate(() -> {
            if (runs.incrementAndGet() == 100) {
                handle[0].cancel();
                done.countDown();
            }
        }, 2, 2, TimeUnit.MILLISECONDS));
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(loop.metrics().selectorRebuilds()).isZero();
    }

    @Test
    void wakeupsAreNotMistakenForASpin() throws Exception {
        loop = Loop.create(LoopOptions.builder().name("woken").selectorRebuildThreshold(4).build());
        for (int i = 0; i < 500; i++) {
            awaitTask(); // each one wakes a loop sleeping with no deadline
        }
        assertThat(loop.metrics().wakeups()).isGreaterThan(4);
        assertThat(loop.metrics().selectorRebuilds()).isZero();
    }
}

package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TestLoopTest {
    private final TestLoop loop = TestLoop.create();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        loop.close();
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** Runs {@code action} on a new thread and returns what it threw, or null. */
    private static Throwable onAnotherThread(Runnable action) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                action.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "intruder");
        t.start();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        return thrown.get();
    }

    @Test
    void everythingRunsOnTheCallingThreadAndOnlyWhenDriven() throws Exception {
        Thread me = Thread.currentThread();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        List<String> ran = new CopyOnWriteArrayList<>();
        Pipe pipe = Pipe.open();
        toClose.add(pipe.sink());
        toClose.add(pipe.source());

        loop.execute(() -> {
            threads.add(Thread.currentThread());
            ran.add("task");
        });
        loop.schedule(() -> {
            threads.add(Thread.currentThread());
            ran.add("timer");
        }, 1, TimeUnit.SECONDS);
        loop.register(pipe.source(), SelectionKey.OP_READ, (r, ops) -> {
            threads.add(Thread.currentThread());
            ((Pipe.SourceChannel) r.channel()).read(ByteBuffer.allocate(16));
            ran.add("io");
        }).join();
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertThat(ran).as("nothing runs until driven").isEmpty();

        assertThat(loop.inLoop()).isTrue();
        AtomicBoolean inLoopElsewhere = new AtomicBoolean(true);
        assertThat(onAnotherThread(() -> inLoopElsewhere.set(loop.inLoop()))).isNull();
        assertThat(inLoopElsewhere).isFalse();

        loop.runUntil(() -> ran.contains("io"), Duration.ofSeconds(10));
        assertThat(ran).containsExactlyInAnyOrder("task", "io");
        loop.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(ran).contains("timer");
        assertThat(threads).hasSize(3).containsOnly(me);
    }

    @Test
    void aTaskFromAnotherThreadRunsAtTheNextRunPendingOnTheDrivingThread() throws Exception {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        assertThat(onAnotherThread(() -> loop.execute(() -> ranOn.set(Thread.currentThread())))).isNull();
        assertThat(ranOn.get()).isNull();
        assertThat(loop.runPending()).as("the task; no timer or IO").isEqualTo(1);
        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
    }

    @Test
    void aTimerScheduledFromAnotherThreadFiresWhenTimeIsAdvanced() throws Exception {
        List<Long> firedAt = new ArrayList<>();
        assertThat(onAnotherThread(() -> loop.schedule(() -> firedAt.add(loop.nanoTime()), 5, TimeUnit.SECONDS))).isNull();
        loop.advanceTimeBy(Duration.ofSeconds(4));
        assertThat(firedAt).isEmpty();
        loop.advanceTimeBy(Duration.ofSeconds(2));
        assertThat(firedAt).containsExactly(TimeUnit.SECONDS.toNanos(5));
        assertThat(loop.nanoTime()).isEqualTo(TimeUnit.SECONDS.toNanos(6));
    }

    @Test
    void advanceTimeByStopsAtEachDeadlineOnTheWay() {
        List<Long> ticks = new ArrayList<>();
        List<Long> chained = new ArrayList<>();
        loop.scheduleAtFixedRate(() -> ticks.add(loop.nanoTime()), 100, 100, TimeUnit.MILLISECONDS);
        // A timer that schedules another, due before the end of the same advance.
        loop.schedule(() -> loop.schedule(() -> chained.add(loop.nanoTime()), 250, TimeUnit.MILLISECONDS),
                300, TimeUnit.MILLISECONDS);

        loop.advanceTimeBy(Duration.ofSeconds(1));

        List<Long> expected = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            expected.add(TimeUnit.MILLISECONDS.toNanos(100L * i));
        }
        assertThat(ticks).isEqualTo(expected);
        assertThat(chained).containsExactly(TimeUnit.MILLISECONDS.toNanos(550));
        assertThat(loop.manualClock().nanoTime()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void runUntilDrivesRealSocketsUntilTheConditionHolds() throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open();
        toClose.add(server);
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        StringBuilder received = new StringBuilder();
        AtomicBoolean eof = new AtomicBoolean();
        List<Thread> handlerThreads = new ArrayList<>();
        loop.register(server, SelectionKey.OP_ACCEPT, (acceptReg, ops) -> {
            SocketChannel accepted = ((ServerSocketChannel) acceptReg.channel()).accept();
            if (accepted == null) {
                return;
            }
            toClose.add(accepted);
            loop.register(accepted, SelectionKey.OP_READ, (readReg, readOps) -> {
                handlerThreads.add(Thread.currentThread());
                ByteBuffer buf = ByteBuffer.allocate(64);
                int n = ((SocketChannel) readReg.channel()).read(buf);
                if (n < 0) {
                    eof.set(true);
                    readReg.cancel();
                    return;
                }
                buf.flip();
                received.append(StandardCharsets.US_ASCII.decode(buf));
            });
        }).join();

        AtomicReference<Throwable> clientFailure = new AtomicReference<>();
        Thread client = new Thread(() -> {
            try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) {
                for (String part : new String[] {"ping ", "from ", "the client"}) {
                    ByteBuffer buf = ByteBuffer.wrap(part.getBytes(StandardCharsets.US_ASCII));
                    while (buf.hasRemaining()) {
                        c.write(buf);
                    }
                }
            } catch (IOException e) {
                clientFailure.set(e);
            }
        }, "client");
        client.start();

        boolean done = loop.runUntil(eof::get, Duration.ofSeconds(20));
        client.join(10_000);

        assertThat(clientFailure.get()).isNull();
        assertThat(done).isTrue();
        assertThat(received.toString()).isEqualTo("ping from the client");
        assertThat(handlerThreads).containsOnly(Thread.currentThread());
        assertThat(loop.manualClock().nanoTime()).as("runUntil does not move the manual clock").isZero();
    }

    @Test
    void runUntilReturnsFalseWhenTheConditionNeverHolds() {
        long start = System.nanoTime();
        assertThat(loop.runUntil(() -> false, Duration.ofMillis(50))).isFalse();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    }

    @Test
    void drivingFromAnotherThreadThrowsIllegalState() throws Exception {
        for (Runnable drive : List.<Runnable>of(
                loop::runPending,
                () -> loop.advanceTimeBy(Duration.ofSeconds(1)),
                () -> loop.runUntil(() -> true, Duration.ofSeconds(1)))) {
            assertThat(onAnotherThread(drive))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("intruder")
                    .hasMessageContaining(Thread.currentThread().getName());
        }
        assertThat(loop.manualClock().nanoTime()).isZero();
    }

    @Test
    void closeClosesChannelsCancelsTimersAndRunsQueuedTasks() throws Exception {
        Pipe pipe = Pipe.open();
        toClose.add(pipe.sink());
        toClose.add(pipe.source());
        AtomicReference<Throwable> cause = new AtomicReference<>();
        loop.register(pipe.source(), SelectionKey.OP_READ, new IoHandler() {
            @Override
            public void onReady(IoRegistration r, int readyOps) {
            }

            @Override
            public void onDeregistered(IoRegistration r, Throwable c) {
                cause.set(c);
            }
        }).join();
        AtomicBoolean timerRan = new AtomicBoolean();
        TimerHandle timer = loop.schedule(() -> timerRan.set(true), 1, TimeUnit.SECONDS);
        AtomicBoolean taskRan = new AtomicBoolean();
        loop.execute(() -> taskRan.set(true));

        loop.close();

        assertThat(pipe.source().isOpen()).isFalse();
        assertThat(cause.get()).isInstanceOf(LoopShutdownException.class).hasMessageContaining("test-loop");
        assertThat(timer.isCancelled()).isTrue();
        assertThat(timerRan).isFalse();
        assertThat(taskRan).as("queued tasks run at close").isTrue();
        assertThat(loop.isTerminated()).isTrue();
        assertThat(loop.terminationFuture()).isCompleted();
        assertThatThrownBy(loop::runPending).isInstanceOf(IllegalStateException.class).hasMessageContaining("shut down");
        assertThatThrownBy(() -> loop.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        loop.close(); // idempotent
    }

    @Test
    void aRegistrationCancelledJustBeforeCloseKeepsItsChannelOpen() throws Exception {
        Pipe pipe = Pipe.open();
        toClose.add(pipe.sink());
        toClose.add(pipe.source());
        List<Throwable> causes = new ArrayList<>();
        IoRegistration registration = loop.register(pipe.source(), SelectionKey.OP_READ, new IoHandler() {
            @Override
            public void onReady(IoRegistration r, int readyOps) {
            }

            @Override
            public void onDeregistered(IoRegistration r, Throwable c) {
                causes.add(c);
            }
        }).join();
        registration.cancel();
        loop.close(); // no select in between: the cancelled key is still in the key set
        assertThat(causes).containsExactly((Throwable) null);
        assertThat(pipe.source().isOpen()).isTrue();
    }

    @Test
    void aShutdownRequestedFromAnotherThreadHappensAtTheNextDrive() throws Exception {
        AtomicBoolean taskRan = new AtomicBoolean();
        loop.execute(() -> taskRan.set(true));
        assertThat(onAnotherThread(() -> loop.shutdownGracefully())).isNull();
        assertThat(loop.isShuttingDown()).isTrue();
        assertThat(loop.isTerminated()).isFalse();
        assertThat(taskRan).isFalse();
        loop.runPending();
        assertThat(taskRan).isTrue();
        assertThat(loop.isTerminated()).isTrue();
    }

    @Test
    void timeOnlyMovesForwardAndOnlyWhenTold() {
        ManualClock clock = loop.manualClock();
        assertThat(clock.nanoTime()).isZero();
        assertThatThrownBy(() -> loop.advanceTimeBy(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class);
        clock.advance(Duration.ofMillis(5));
        assertThatThrownBy(() -> clock.set(TimeUnit.MILLISECONDS.toNanos(4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backwards");
        assertThat(clock.nanoTime()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
        loop.runPending();
        assertThat(clock.nanoTime()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(loop.nanoTime()).isEqualTo(clock.nanoTime());
    }
}

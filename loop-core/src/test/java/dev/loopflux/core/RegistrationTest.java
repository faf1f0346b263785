package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RegistrationTest {
    private final RecordingErrorHandler errors = new RecordingErrorHandler();
    private final Loop loop = Loop.create(LoopOptions.builder().name("reg").errorHandler(errors).build());
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        try {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        } finally {
            for (AutoCloseable c : toClose) {
                c.close();
            }
        }
    }

    private SocketPair socketPair() throws IOException {
        SocketPair pair = SocketPair.open();
        toClose.add(pair);
        return pair;
    }

    private Pipe pipe() throws IOException {
        Pipe pipe = Pipe.open();
        toClose.add(pipe.source());
        toClose.add(pipe.sink());
        return pipe;
    }

    private static void write(Pipe pipe, String text) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes());
        while (buf.hasRemaining()) {
            pipe.sink().write(buf);
        }
    }

    private static String drain(Pipe.SourceChannel source) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        StringBuilder sb = new StringBuilder();
        int n;
        while ((n = source.read(buf)) > 0) {
            buf.flip();
            sb.append(new String(buf.array(), 0, buf.limit()));
            buf.clear();
        }
        return sb.toString();
    }

    /**
     * Waits until the loop has run a full iteration after this call: a task runs after the
     * select of its iteration, so two round trips mean the loop has selected at least once
     * since everything the caller did before.
     */
    private void roundTrips(int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(done::countDown);
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Runs {@code read} on the loop and returns its result. */
    private <T> T onLoop(java.util.function.Supplier<T> read) throws Exception {
        return CompletableFuture.supplyAsync(read, loop).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aChannelRegisteredFromAForeignThreadGetsItsReadinessOnTheLoopThread() throws Exception {
        SocketPair pair = socketPair();
        StringBuffer received = new StringBuffer();
        List<Boolean> inLoop = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(1);
        IoHandler handler = (registration, readyOps) -> {
            inLoop.add(loop.inLoop());
            threads.add(Thread.currentThread());
            assertThat(readyOps & SelectionKey.OP_READ).isNotZero();
            String s = SocketPair.readAvailable((SocketChannel) registration.channel());
            if (s != null) {
                received.append(s);
            }
            if (received.toString().equals("hello world")) {
                all.countDown();
            }
        };

        CompletableFuture<IoRegistration> future = loop.register(pair.local, SelectionKey.OP_READ, handler);
        IoRegistration registration = future.get(10, TimeUnit.SECONDS);
        assertThat(registration.channel()).isSameAs(pair.local);
        assertThat(registration.loop()).isSameAs(loop);
        assertThat(registration.isValid()).isTrue();
        assertThat(registration.interestOps()).isEqualTo(SelectionKey.OP_READ);
        assertThat(pair.local.isBlocking()).as("put in non-blocking mode").isFalse();

        pair.peerWrites("hello ");
        pair.peerWrites("world");
        assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(inLoop).isNotEmpty().containsOnly(true);
        Thread loopThread = onLoop(Thread::currentThread);
        assertThat(threads).containsOnly(loopThread);
        assertThat(onLoop(() -> loop.metrics().registrations())).isEqualTo(1);
        assertThat(loop.metrics().keysDispatched()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void registeringOnTheLoopThreadCompletesTheFutureBeforeReturning() throws Exception {
        Pipe pipe = pipe();
        Boolean doneAtOnce = onLoop(() -> loop.register(pipe.source(), SelectionKey.OP_READ, (r, ops) -> { }).isDone());
        assertThat(doneAtOnce).isTrue();
    }

    @Test
    void interestOpsChangedFromAForeignThreadDecideWhenDataIsSeen() throws Exception {
        SocketPair pair = socketPair();
        StringBuffer received = new StringBuffer();
        AtomicInteger readyCalls = new AtomicInteger();
        AtomicReference<CountDownLatch> expect = new AtomicReference<>(new CountDownLatch(1));
        AtomicReference<String> awaited = new AtomicReference<>("early");
        IoHandler handler = (registration, readyOps) -> {
            readyCalls.incrementAndGet();
            String s = SocketPair.readAvailable((SocketChannel) registration.channel());
            if (s != null) {
                received.append(s);
            }
            if (received.toString().endsWith(awaited.get())) {
                expect.get().countDown();
            }
        };
        IoRegistration registration = loop.register(pair.local, 0, handler).get(10, TimeUnit.SECONDS);

        pair.peerWrites("early");
        roundTrips(2);
        assertThat(readyCalls).as("no interest, no callback").hasValue(0);
        assertThat(registration.interestOps()).isZero();

        registration.interestOps(SelectionKey.OP_READ); // from the test thread: hops onto the loop
        assertThat(expect.get().await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(received.toString()).isEqualTo("early");
        assertThat(onLoop(() -> registration.interestOps())).isEqualTo(SelectionKey.OP_READ);

        registration.removeInterest(SelectionKey.OP_READ);
        roundTrips(1);
        int callsBefore = readyCalls.get();
        expect.set(new CountDownLatch(1));
        awaited.set("late");
        pair.peerWrites("late");
        roundTrips(2);
        assertThat(readyCalls).as("interest removed").hasValue(callsBefore);
        assertThat(onLoop(() -> registration.interestOps())).isZero();

        registration.addInterest(SelectionKey.OP_READ);
        assertThat(expect.get().await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(received.toString()).isEqualTo("earlylate");
    }

    @Test
    void cancelEndsTheRegistrationOnceWithANullCauseAndLeavesTheChannelOpen() throws Exception {
        Pipe pipe = pipe();
        AtomicInteger deregistered = new AtomicInteger();
        AtomicReference<Throwable> cause = new AtomicReference<>(new Throwable("not called"));
        AtomicReference<IoRegistration> seen = new AtomicReference<>();
        AtomicInteger readyCalls = new AtomicInteger();
        IoHandler handler = new IoHandler() {
            @Override
            public void onReady(IoRegistration registration, int readyOps) throws IOException {
                readyCalls.incrementAndGet();
                drain((Pipe.SourceChannel) registration.channel());
            }

            @Override
            public void onDeregistered(IoRegistration registration, Throwable c) {
                deregistered.incrementAndGet();
                cause.set(c);
                seen.set(registration);
            }
        };
        IoRegistration registration = loop.register(pipe.source(), SelectionKey.OP_READ, handler).get(10, TimeUnit.SECONDS);

        registration.cancel();
        registration.cancel();
        Thread other = new Thread(registration::cancel);
        other.start();
        other.join(10_000);
        loop.execute(registration::cancel);
        roundTrips(2);

        assertThat(deregistered).hasValue(1);
        assertThat(cause.get()).isNull();
        assertThat(seen.get()).isSameAs(registration);
        assertThat(registration.isValid()).isFalse();
        assertThat(pipe.source().isOpen()).isTrue();
        assertThat(onLoop(() -> loop.metrics().registrations())).isZero();

        write(pipe, "after cancel");
        roundTrips(2);
        assertThat(readyCalls).hasValue(0);

        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        assertThat(deregistered).as("shutdown does not end it again").hasValue(1);
        assertThat(pipe.source().isOpen()).as("a cancelled channel is the caller's, shutdown leaves it open").isTrue();
    }

    @Test
    void aHandlerThatCancelsItsRegistrationAsShutdownStartsKeepsItsChannelOpen() throws Exception {
        // The handler hands its channel elsewhere (cancel) and, in the same iteration, shutdown
        // begins: the cancelled key is still in the selector's key set when the loop closes
        // every registered channel.
        Pipe pipe = pipe();
        List<Throwable> causes = new CopyOnWriteArrayList<>();
        CountDownLatch handedOff = new CountDownLatch(1);
        IoHandler handler = new IoHandler() {
            @Override
            public void onReady(IoRegistration registration, int readyOps) {
                registration.cancel();
                loop.shutdownGracefully();
                handedOff.countDown();
            }

            @Override
            public void onDeregistered(IoRegistration registration, Throwable cause) {
                causes.add(cause == null ? new Throwable("null cause") : cause);
            }
        };
        loop.register(pipe.source(), SelectionKey.OP_READ, handler).get(10, TimeUnit.SECONDS);
        write(pipe, "x");
        assertThat(handedOff.await(10, TimeUnit.SECONDS)).isTrue();
        loop.terminationFuture().get(10, TimeUnit.SECONDS);

        assertThat(causes).singleElement().satisfies(c -> assertThat(c).hasMessage("null cause"));
        assertThat(pipe.source().isOpen()).isTrue();
        assertThat(drain(pipe.source())).isEqualTo("x");
    }

    @Test
    void aHandlerThatThrowsClosesItsChannelOnlyAndOthersKeepWorking() throws Exception {
        Pipe bad = pipe();
        Pipe good = pipe();
        IllegalStateException boom = new IllegalStateException("handler failed");
        AtomicReference<Throwable> badCause = new AtomicReference<>();
        CountDownLatch badEnded = new CountDownLatch(1);
        AtomicInteger badEnds = new AtomicInteger();
        IoHandler badHandler = new IoHandler() {
            @Override
            public void onReady(IoRegistration registration, int readyOps) {
                throw boom;
            }

            @Override
            public void onDeregistered(IoRegistration registration, Throwable cause) {
                badEnds.incrementAndGet();
                badCause.set(cause);
                badEnded.countDown();
            }
        };
        StringBuffer goodReceived = new StringBuffer();
        AtomicReference<CountDownLatch> goodGot = new AtomicReference<>(new CountDownLatch(1));
        IoHandler goodHandler = (registration, readyOps) -> {
            goodReceived.append(drain((Pipe.SourceChannel) registration.channel()));
            goodGot.get().countDown();
        };
        IoRegistration badReg = loop.register(bad.source(), SelectionKey.OP_READ, badHandler).get(10, TimeUnit.SECONDS);
        IoRegistration goodReg = loop.register(good.source(), SelectionKey.OP_READ, goodHandler).get(10, TimeUnit.SECONDS);

        write(bad, "trigger");
        write(good, "one");
        assertThat(badEnded.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(goodGot.get().await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(errors.errors).containsExactly(boom);
        assertThat(badCause.get()).isSameAs(boom);
        assertThat(bad.source().isOpen()).isFalse();
        assertThat(badReg.isValid()).isFalse();
        roundTrips(1);
        assertThat(badEnds).hasValue(1);

        goodGot.set(new CountDownLatch(1));
        write(good, "two");
        assertThat(goodGot.get().await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(goodReceived.toString()).isEqualTo("onetwo");
        assertThat(goodReg.isValid()).isTrue();
        assertThat(good.source().isOpen()).isTrue();

        // A registration made after the failure works as well.
        Pipe late = pipe();
        CountDownLatch lateGot = new CountDownLatch(1);
        loop.register(late.source(), SelectionKey.OP_READ, (r, ops) -> {
            drain((Pipe.SourceChannel) r.channel());
            lateGot.countDown();
        }).get(10, TimeUnit.SECONDS);
        write(late, "z");
        assertThat(lateGot.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(onLoop(() -> loop.metrics().registrations())).isEqualTo(2);
        assertThat(loop.metrics().errors()).isEqualTo(1);
    }

    @Test
    void anOnDeregisteredThatThrowsIsReportedAndTheLoopGoesOn() throws Exception {
        Pipe pipe = pipe();
        UnsupportedOperationException boom = new UnsupportedOperationException("in onDeregistered");
        IoHandler handler = new IoHandler() {
            @Override
            public void onReady(IoRegistration registration, int readyOps) {
            }

            @Override
            public void onDeregistered(IoRegistration registration, Throwable cause) {
                throw boom;
            }
        };
        IoRegistration registration = loop.register(pipe.source(), 0, handler).get(10, TimeUnit.SECONDS);
        registration.cancel();
        roundTrips(2);
        assertThat(errors.errors).containsExactly(boom);
        assertThat(onLoop(() -> loop.metrics().registrations())).isZero();
    }

    @Test
    void invalidInterestOpsAreRejectedWithIllegalArgumentException() throws Exception {
        Pipe pipe = pipe();
        SocketPair pair = socketPair();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            assertThatThrownBy(() -> loop.register(pipe.source(), SelectionKey.OP_WRITE, (r, ops) -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("interestOps " + SelectionKey.OP_WRITE);
            assertThatThrownBy(() -> loop.register(pipe.sink(), SelectionKey.OP_READ, (r, ops) -> { }))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> loop.register(pair.local, SelectionKey.OP_ACCEPT, (r, ops) -> { }))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> loop.register(server, SelectionKey.OP_READ, (r, ops) -> { }))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> loop.register(pipe.source(), -1, (r, ops) -> { }))
                    .isInstanceOf(IllegalArgumentException.class);
            // The same check on the loop thread.
            assertThat(onLoop(() -> {
                try {
                    loop.register(pipe.source(), SelectionKey.OP_CONNECT, (r, ops) -> { });
                    return "accepted";
                } catch (IllegalArgumentException e) {
                    return "rejected";
                }
            })).isEqualTo("rejected");
            assertThat(onLoop(() -> loop.metrics().registrations())).isZero();
        }
    }

    @Test
    void registeringAfterTerminationFailsTheFutureWithRejectedExecution() throws Exception {
        Pipe pipe = pipe();
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        CompletableFuture<IoRegistration> future = loop.register(pipe.source(), SelectionKey.OP_READ, (r, ops) -> { });
        assertThat(future).isCompletedExceptionally();
        assertThatThrownBy(future::join)
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(RejectedExecutionException.class)
                .cause().hasMessageContaining("reg");
        assertThat(pipe.source().isOpen()).isTrue();
    }

    @Test
    void registeringDuringTheQuietPeriodFailsTheFutureWithRejectedExecution() throws Exception {
        Pipe pipe = pipe();
        CompletableFuture<Void> termination = loop.shutdownGracefully(Duration.ofMillis(500), Duration.ofSeconds(1));
        CompletableFuture<IoRegistration> future = loop.register(pipe.source(), SelectionKey.OP_READ, (r, ops) -> { });
        assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("shutting down");
        assertThat(termination).isNotDone();
        assertThat(pipe.source().isOpen()).isTrue();
    }

    @Test
    void everyRegisterRacingShutdownCompletesItsFuture() throws Exception {
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS); // this test makes its own loops
        int perRound = 200;
        for (int round = 0; round < 100; round++) {
            Loop racing = Loop.create("reg-race-" + round);
            // Opened up front, so that the producer does nothing but register while the loop
            // moves through shutdown.
            Pipe[] pipes = new Pipe[perRound];
            AtomicInteger[] ends = new AtomicInteger[perRound];
            @SuppressWarnings("unchecked")
            CompletableFuture<IoRegistration>[] futures = new CompletableFuture[perRound];
            for (int i = 0; i < perRound; i++) {
                pipes[i] = Pipe.open();
                ends[i] = new AtomicInteger();
            }
            AtomicInteger made = new AtomicInteger();
            Runnable registerNext = () -> {
                int i = made.get();
                AtomicInteger ended = ends[i];
                futures[i] = racing.register(pipes[i].source(), SelectionKey.OP_READ, new IoHandler() {
                    @Override
                    public void onReady(IoRegistration registration, int readyOps) {
                    }

                    @Override
                    public void onDeregistered(IoRegistration registration, Throwable cause) {
                        ended.addAndGet(cause instanceof LoopShutdownException ? 1 : 1_000);
                    }
                });
                made.incrementAndGet();
            };
            for (int i = 0; i < 4; i++) {
                registerNext.run();
                futures[i].get(10, TimeUnit.SECONDS);
            }
            Thread producer = new Thread(() -> {
                while (!racing.isShuttingDown()) {
                    Thread.onSpinWait(); // burst right into the shutdown sequence
                }
                while (made.get() < perRound) {
                    registerNext.run();
                    if (futures[made.get() - 1].isCompletedExceptionally()) {
                        return; // rejected at once: the loop has shut down
                    }
                }
            });
            producer.start();
            try {
                racing.shutdownGracefully().get(10, TimeUnit.SECONDS);
                producer.join(10_000);
                assertThat(producer.isAlive()).isFalse();
                // The loop has terminated: a future not done now would never be.
                for (int i = 0; i < made.get(); i++) {
                    CompletableFuture<IoRegistration> f = futures[i];
                    assertThat(f.isDone()).as("round %d: future %d of %d never completed", round, i, made.get()).isTrue();
                    if (f.isCompletedExceptionally()) {
                        assertThatThrownBy(f::join).hasCauseInstanceOf(RejectedExecutionException.class);
                        assertThat(ends[i]).hasValue(0);
                    } else {
                        assertThat(ends[i]).as("registered, then closed by shutdown").hasValue(1);
                        assertThat(pipes[i].source().isOpen()).isFalse();
                    }
                }
            } finally {
                racing.shutdownGracefully().get(10, TimeUnit.SECONDS);
                producer.join(10_000);
                for (Pipe p : pipes) {
                    p.source().close();
                    p.sink().close();
                }
            }
        }
    }

    @Test
    void interestChangesAfterTheLoopEndedAreIgnored() throws Exception {
        Pipe pipe = pipe();
        AtomicBoolean ended = new AtomicBoolean();
        IoRegistration registration = loop.register(pipe.source(), SelectionKey.OP_READ, new IoHandler() {
            @Override
            public void onReady(IoRegistration r, int readyOps) {
            }

            @Override
            public void onDeregistered(IoRegistration r, Throwable cause) {
                ended.set(cause instanceof LoopShutdownException);
            }
        }).get(10, TimeUnit.SECONDS);
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        assertThat(ended).isTrue();
        registration.interestOps(0);
        registration.addInterest(SelectionKey.OP_READ);
        registration.removeInterest(SelectionKey.OP_READ);
        registration.cancel();
        assertThat(registration.isValid()).isFalse();
        assertThat(registration.interestOps()).isZero();
    }
}

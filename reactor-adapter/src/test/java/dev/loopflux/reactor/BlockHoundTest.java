package dev.loopflux.reactor;

import static dev.loopflux.reactor.TestSupport.await;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import java.io.IOException;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.FileHandler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.core.scheduler.NonBlocking;
import reactor.core.scheduler.Scheduler;

/**
 * Loop threads under BlockHound: user code that blocks on a loop is reported, the loop's own
 * wait in select is not, and the loop's own error reporting (a log write) does not trip it.
 *
 * <p>BlockHound instruments the whole JVM and cannot be uninstalled, so these tests run in a
 * JVM of their own (the {@code blockhound} tag; see the surefire executions in the pom).
 * BlockHound does not count a {@code Selector} wait as blocking; this JVM marks it so
 * ({@code SelectorImpl.lockAndDoSelect}, under every select), so that "the loop's wait is not
 * reported" is something a test can fail.
 */
@Tag("blockhound")
@Timeout(30)
class BlockHoundTest {
    private Scheduler scheduler;
    private LoopGroup group;

    @BeforeAll
    static void installBlockHound() {
        // Loads the integrations on the classpath (Reactor's, Loopflux's) besides this one.
        BlockHound.install(builder -> builder.markAsBlocking(
                "sun.nio.ch.SelectorImpl", "lockAndDoSelect", "(Ljava/util/function/Consumer;J)I"));
    }

    @AfterEach
    void dispose() {
        if (scheduler != null) {
            scheduler.disposeGracefully().block(Duration.ofSeconds(TestSupport.WAIT_SECONDS));
        }
        if (group != null) {
            await(group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)));
        }
    }

    @Test
    void sleepingInATaskIsReported() {
        scheduler = LoopSchedulers.newSingle("bh-sleep");
        CompletableFuture<Throwable> caught = new CompletableFuture<>();
        scheduler.schedule(() -> {
            try {
                Thread.sleep(1); // the blocking call under test, not a wait for anything
                caught.complete(null);
            } catch (Throwable error) {
                caught.complete(error);
            }
        });

        assertThat(await(caught)).isInstanceOf(BlockingOperationError.class).hasMessageContaining("Thread.sleep");
    }

    @Test
    void sleepingInATcpHandlerIsReportedAndTheServerGoesOn() throws Exception {
        BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        group = nonBlockingGroup(errors);
        CompletableFuture<Throwable> caught = new CompletableFuture<>();
        DisposableServer server = TcpServer.create().port(0).runOn(group)
                .handle((in, out) -> out.send(in.receive().doOnNext(chunk -> {
                    try {
                        Thread.sleep(1); // a handler that blocks its loop: BlockHound must say so
                        caught.complete(null);
                    } catch (Throwable error) {
                        caught.complete(error);
                    }
                })))
                .bindNow();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            assertThat(await(caught)).isInstanceOf(BlockingOperationError.class).hasMessageContaining("Thread.sleep");
            assertThat(socket.getInputStream().read()).as("the handler went on after the report").isEqualTo('x');
        } finally {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }

    @Test
    void waitingOnASelectorInATaskIsReported() {
        // The control for the next test: a select made by user code on a loop is reported.
        scheduler = LoopSchedulers.newSingle("bh-select");
        CompletableFuture<Throwable> caught = new CompletableFuture<>();
        scheduler.schedule(() -> {
            try (Selector selector = Selector.open()) {
                selector.select(1);
                caught.complete(null);
            } catch (Throwable error) {
                caught.complete(error);
            }
        });

        assertThat(await(caught)).isInstanceOf(BlockingOperationError.class).hasMessageContaining("lockAndDoSelect");
    }

    @Test
    void theLoopsOwnWaitIsNotReported() {
        BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        scheduler = LoopSchedulers.from(group = nonBlockingGroup(errors));
        CompletableFuture<Boolean> ran = new CompletableFuture<>();

        scheduler.schedule(() -> ran.complete(Thread.currentThread() instanceof NonBlocking), 50, MILLISECONDS);

        assertThat(await(ran)).as("ran on a NonBlocking loop thread").isTrue();
        assertThat(errors).as("errors reported while the loop waited 50 ms in select").isEmpty();
    }

    @Test
    void aBlockingCallATaskLetsThroughReachesTheErrorHandler() throws InterruptedException {
        // The control for the test above: a report on the loop does reach that handler.
        BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        scheduler = LoopSchedulers.from(group = nonBlockingGroup(errors));

        scheduler.schedule(() -> sleepUnchecked(1));

        assertThat(errors.poll(TestSupport.WAIT_SECONDS, TimeUnit.SECONDS)).isInstanceOf(BlockingOperationError.class);
        CompletableFuture<Loop> later = new CompletableFuture<>();
        scheduler.schedule(() -> later.complete(Loop.current()), 10, MILLISECONDS);
        assertThat(await(later).isShuttingDown()).as("the loop shutting down").isFalse();
    }

    @Test
    void aFailedTaskIsLoggedToAFileAndTheLoopGoesOn(@TempDir Path dir) throws IOException {
        // Logging to a file is a blocking write on the loop thread, made by the loop's own
        // error reporting; it must not be reported, nor stop the loop.
        Path file = dir.resolve("loop.log");
        Logger logger = Logger.getLogger("dev.loopflux.core");
        FileHandler handler = new FileHandler(file.toString());
        handler.setFormatter(new SimpleFormatter());
        logger.addHandler(handler);
        try {
            scheduler = LoopSchedulers.newSingle("bh-log");
            scheduler.schedule(() -> {
                throw TestSupport.expectedFailure("logged task");
            });
            // A timer, not a queued task: a loop that dies still runs its queue as it terminates.
            CompletableFuture<Loop> later = new CompletableFuture<>();
            scheduler.schedule(() -> later.complete(Loop.current()), 10, MILLISECONDS);

            assertThat(await(later).isShuttingDown()).as("the loop shutting down").isFalse();
            assertThat(Files.readString(file, StandardCharsets.UTF_8))
                    .contains("Uncaught error on loop 'bh-log-0'")
                    .contains("logged task")
                    .doesNotContain(BlockingOperationError.class.getSimpleName());
        } finally {
            logger.removeHandler(handler);
            handler.close();
        }
    }

    @Test
    void fileIoAndOffloadOnALoopAreNotReported(@TempDir Path dir) throws Exception {
        // The loop hands work to the blocking pool (a queue lock held for a moment) and closes
        // files no pool thread uses; neither may be reported.
        BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        group = nonBlockingGroup(errors);
        Loop loop = group.next();
        byte[] data = new byte[1 << 20];
        new java.util.Random(1).nextBytes(data);
        Path source = Files.write(dir.resolve("source.bin"), data);
        Path copy = dir.resolve("copy.bin");
        CompletableFuture<Long> copied = new CompletableFuture<>();
        CompletableFuture<Object> offloaded = new CompletableFuture<>();
        dev.loopflux.core.BlockingPool pool = dev.loopflux.core.BlockingPool.create(2, 100);
        try {
            loop.execute(() -> {
                LoopFiles.write(copy, LoopFiles.read(source, dev.loopflux.core.file.ReadOptions.builder().chunkSize(4096).build()))
                        .subscribe(copied::complete, copied::completeExceptionally);
                LoopFiles.read(source).take(1).subscribe(); // cancelled after one chunk
                reactor.core.publisher.Mono.from(pool.call(loop, () -> "done"))
                        .subscribe(offloaded::complete, offloaded::completeExceptionally);
                reactor.core.publisher.Mono.from(pool.call(loop, () -> "cancelled")).subscribe().dispose();
            });

            assertThat(await(copied)).isEqualTo(data.length);
            assertThat(await(offloaded)).isEqualTo("done");
            assertThat(Files.readAllBytes(copy)).isEqualTo(data);
            CompletableFuture<Void> after = new CompletableFuture<>();
            loop.execute(() -> after.complete(null));
            await(after);
            assertThat(errors).isEmpty();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    @Timeout(60)
    void aTlsHandshakeAndEchoOnALoopAreNotReported() throws Exception {
        // The engine's delegated tasks (certificate checks, key exchange) go to the blocking pool;
        // wrap and unwrap stay on the loop and must not block there.
        BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        group = nonBlockingGroup(errors);
        dev.loopflux.core.net.SelfSignedCertificate certificate = dev.loopflux.core.net.SelfSignedCertificate.create();
        DisposableServer server = TcpServer.create().runOn(group).secure(certificate.serverOptions().build())
                .handle((in, out) -> out.send(in.receive())).bindNow();
        try {
            Connection c = TcpClient.create().port(server.port()).runOn(group)
                    .secure(certificate.clientOptions().build()).connectNow();
            byte[] data = new byte[256 * 1024];
            new java.util.Random(2).nextBytes(data);
            Long echoed = c.outbound().send(reactor.core.publisher.Mono.just(java.nio.ByteBuffer.wrap(data)))
                    .thenMany(c.inbound().receive())
                    .scan(0L, (sum, b) -> sum + b.remaining())
                    .takeUntil(sum -> sum >= data.length)
                    .last()
                    .block(Duration.ofSeconds(TestSupport.WAIT_SECONDS));
            assertThat(echoed).isEqualTo(data.length);
            c.dispose();
            assertThat(errors).isEmpty();
        } finally {
            server.disposeNow(Duration.ofSeconds(5));
        }
    }

    /** A one-loop group on NonBlocking loop threads that reports errors to {@code errors}. */
    private static LoopGroup nonBlockingGroup(BlockingQueue<Throwable> errors) {
        return LoopGroup.create(LoopOptions.builder()
                .name("bh-idle")
                .loops(1)
                .threadFactory(LoopThread.FACTORY)
                .errorHandler((loop, error) -> errors.add(error))
                .build());
    }

    private static void sleepUnchecked(long millis) {
        try {
            Thread.sleep(millis); // the blocking call under test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.loopflux.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ErrorIsolationTest {
    private Loop loop;

    @AfterEach
    void shutDown() throws Exception {
        if (loop != null) {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }

    /** Runs a task and waits until it and everything queued before it has run. */
    private static void awaitTask(Loop loop, Runnable task) throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(() -> {
            task.run();
            ran.countDown();
        });
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aTaskThatThrowsGoesToTheErrorHandlerAndTheLoopRunsTheNextTasks() throws Exception {
        RecordingErrorHandler handler = new RecordingErrorHandler();
        loop = Loop.create(LoopOptions.builder().name("err-runtime").errorHandler(handler).build());
        RuntimeException boom = new IllegalStateException("boom");
        AtomicReference<Thread> loopThread = new AtomicReference<>();
        List<Integer> ran = new CopyOnWriteArrayList<>();

        loop.execute(() -> ran.add(1));
        loop.execute(() -> {
            loopThread.set(Thread.currentThread());
            throw boom;
        });
        loop.execute(() -> ran.add(2));
        awaitTask(loop, () -> ran.add(3));

        assertThat(ran).containsExactly(1, 2, 3);
        assertThat(handler.errors).containsExactly(boom);
        assertThat(handler.threads).containsExactly(loopThread.get());
        assertThat(loop.metrics().errors()).isEqualTo(1);
        assertThat(loop.isShuttingDown()).isFalse();
    }

    @Test
    void anErrorSuchAsOutOfMemoryReachesTheHandlerAndTheLoopGoesOn() throws Exception {
        RecordingErrorHandler handler = new RecordingErrorHandler();
        loop = Loop.create(LoopOptions.builder().name("err-oom").errorHandler(handler).build());
        OutOfMemoryError oom = new OutOfMemoryError("test: not a real OOM");
        StackOverflowError soe = new StackOverflowError("test");

        loop.execute(() -> {
            throw oom;
        });
        loop.execute(() -> {
            throw soe;
        });
        CountDownLatch after = new CountDownLatch(1);
        loop.execute(after::countDown);

        assertThat(after.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(handler.errors).containsExactly(oom, soe);
        assertThat(loop.metrics().errors()).isEqualTo(2);
        // Still alive for new work, from another thread, after the errors.
        awaitTask(loop, () -> { });
        CountDownLatch timer = new CountDownLatch(1);
        loop.schedule(timer::countDown, 1, TimeUnit.MILLISECONDS);
        assertThat(timer.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anErrorHandlerThatThrowsDoesNotKillTheLoop() throws Exception {
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        LoopErrorHandler throwing = (l, error) -> {
            seen.add(error);
            if (error instanceof IllegalArgumentException) {
                throw new IllegalStateException("handler failed on " + error.getMessage());
            }
            throw new AssertionError("handler failed with an Error");
        };
        loop = Loop.create(LoopOptions.builder().name("err-handler").errorHandler(throwing).build());

        for (int i = 0; i < 10; i++) {
            int n = i;
            loop.execute(() -> {
                if (n % 2 == 0) {
                    throw new IllegalArgumentException("task " + n);
                }
                throw new UnsupportedOperationException("task " + n);
            });
        }
        List<Integer> after = new CopyOnWriteArrayList<>();
        awaitTask(loop, () -> after.add(1));
        CountDownLatch timer = new CountDownLatch(1);
        loop.schedule(() -> {
            timer.countDown();
            throw new IllegalArgumentException("from a timer");
        }, 1, TimeUnit.MILLISECONDS);
        assertThat(timer.await(10, TimeUnit.SECONDS)).isTrue();
        awaitTask(loop, () -> after.add(2));

        assertThat(after).containsExactly(1, 2);
        assertThat(seen).hasSize(11);
        assertThat(loop.metrics().errors()).isEqualTo(11);
        assertThat(loop.isShuttingDown()).isFalse();
    }

    @Test
    void theErrorsCounterCountsEveryReportedError() throws Exception {
        RecordingErrorHandler handler = new RecordingErrorHandler();
        loop = Loop.create(LoopOptions.builder().name("err-count").errorHandler(handler).build());
        int failures = 0;
        for (int i = 0; i < 1_000; i++) {
            if (i % 3 == 0) {
                loop.execute(() -> {
                    throw new RuntimeException("failing task");
                });
                failures++;
            } else {
                loop.execute(() -> { });
            }
        }
        // Read from a timer: it runs after the batch of tasks before it has been counted.
        CompletableFuture<LoopMetrics> metrics = new CompletableFuture<>();
        loop.schedule(() -> metrics.complete(loop.metrics()), 0, TimeUnit.NANOSECONDS);
        LoopMetrics m = metrics.get(10, TimeUnit.SECONDS);
        assertThat(handler.errors).hasSize(failures);
        assertThat(m.errors()).isEqualTo(failures);
        assertThat(m.tasksRun()).isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void onATestLoopAThrowingTaskDoesNotEscapeRunPending() {
        RecordingErrorHandler handler = new RecordingErrorHandler();
        try (TestLoop test = TestLoop.create(new ManualClock(), LoopOptions.builder().name("err-test").errorHandler(handler).build())) {
            List<String> ran = new CopyOnWriteArrayList<>();
            test.execute(() -> {
                throw new IllegalStateException("x");
            });
            test.execute(() -> ran.add("next"));
            assertThat(test.runPending()).isEqualTo(2);
            assertThat(ran).containsExactly("next");
            assertThat(handler.errors).singleElement().isInstanceOf(IllegalStateException.class);
            assertThat(test.metrics().errors()).isEqualTo(1);
        }
    }
}

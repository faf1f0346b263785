package dev.loopflux.reactor;

import static dev.loopflux.reactor.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** Loop threads are Reactor {@code NonBlocking}: {@code block()} on them is refused. */
@Timeout(30)
class NonBlockingTest {
    private static final String REFUSED = "block()/blockFirst()/blockLast() are blocking, which is not supported in thread";

    private Scheduler scheduler;

    @AfterEach
    void dispose() {
        if (scheduler != null) {
            scheduler.disposeGracefully().block(Duration.ofSeconds(TestSupport.WAIT_SECONDS));
        }
    }

    @Test
    void blockInsideATaskOnASingleLoopIsRefused() {
        scheduler = LoopSchedulers.newSingle("nb");

        Throwable error = blockOn(scheduler);

        assertThat(error).isInstanceOf(IllegalStateException.class).hasMessageContaining(REFUSED).hasMessageContaining("nb-0");
    }

    @Test
    void blockInsideAWorkerTaskOnAGroupLoopIsRefused() {
        scheduler = LoopSchedulers.newGroup("nbg", 2);
        CompletableFuture<Throwable> caught = new CompletableFuture<>();
        Scheduler.Worker worker = scheduler.createWorker();
        worker.schedule(() -> caught.complete(tryToBlock()));

        assertThat(await(caught)).isInstanceOf(IllegalStateException.class).hasMessageContaining(REFUSED);
        worker.dispose();
    }

    @Test
    void theSameBlockOffTheLoopIsAllowed() {
        // The control: what the loop refuses works on an ordinary thread.
        assertThat(tryToBlock()).isNull();
    }

    private static Throwable blockOn(Scheduler scheduler) {
        CompletableFuture<Throwable> caught = new CompletableFuture<>();
        scheduler.schedule(() -> caught.complete(tryToBlock()));
        return await(caught);
    }

    /** Blocks for a 1 ms delayed element; returns what that threw, or null if it returned 1. */
    private static Throwable tryToBlock() {
        try {
            Integer value = Mono.just(1).delayElement(Duration.ofMillis(1)).block(Duration.ofSeconds(TestSupport.WAIT_SECONDS));
            return value != null && value == 1 ? null : new AssertionError("block() returned " + value);
        } catch (Throwable error) {
            return error;
        }
    }
}

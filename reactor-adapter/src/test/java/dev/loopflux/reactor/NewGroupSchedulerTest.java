package dev.loopflux.reactor;

import static dev.loopflux.reactor.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.reactor.TestSupport.Where;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Scheduler.Worker;

/** The contract for {@link LoopSchedulers#newGroup(String, int)}: owned loops, round-robin. */
@Timeout(30)
class NewGroupSchedulerTest extends AbstractLoopSchedulerTest {

    @Override
    Scheduler scheduler() {
        Scheduler scheduler = LoopSchedulers.newGroup("g", 2);
        scheduler.init();
        return scheduler;
    }

    @Override
    int loops() {
        return 2;
    }

    @Override
    String expectedName() {
        return "g";
    }

    @Override
    boolean ownsLoops() {
        return true;
    }

    @Override
    boolean nonBlockingThreads() {
        return true;
    }

    @Test
    void tasksGoRoundRobinOverTheLoops() {
        List<CompletableFuture<Where>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            CompletableFuture<Where> ran = new CompletableFuture<>();
            runs.add(ran);
            s.schedule(() -> ran.complete(Where.here()));
        }

        List<String> names = runs.stream().map(run -> await(run).thread().getName()).toList();
        assertThat(names).containsExactlyInAnyOrder("g-0", "g-1", "g-0", "g-1");
    }

    @Test
    void aWorkerAskedForOnAForeignLoopRunsOnThisSchedulersLoops() {
        LoopGroup conn = LoopGroup.create("conn", 1);
        try {
            CompletableFuture<Where> ran = new CompletableFuture<>();
            CompletableFuture<Thread> connThread = new CompletableFuture<>();
            conn.next().execute(() -> {
                connThread.complete(Thread.currentThread());
                Worker w = s.createWorker();
                w.schedule(() -> {
                    ran.complete(Where.here());
                    w.dispose();
                });
            });

            // A scheduler made by name has no loop affinity: publishOn(it) hops onto its loops.
            assertThat(await(ran).thread()).isNotSameAs(await(connThread));
            assertThat(await(ran).thread().getName()).startsWith("g-");
        } finally {
            await(conn.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)));
        }
    }
}

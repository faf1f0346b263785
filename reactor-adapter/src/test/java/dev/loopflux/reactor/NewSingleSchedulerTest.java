package dev.loopflux.reactor;

import static dev.loopflux.reactor.TestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.reactor.TestSupport.Where;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.scheduler.Scheduler;

/** The contract for {@link LoopSchedulers#newSingle(String)}: one owned loop on a NonBlocking thread. */
@Timeout(30)
class NewSingleSchedulerTest extends AbstractLoopSchedulerTest {

    @Override
    Scheduler scheduler() {
        Scheduler scheduler = LoopSchedulers.newSingle("t");
        scheduler.init();
        return scheduler;
    }

    @Override
    int loops() {
        return 1;
    }

    @Override
    String expectedName() {
        return "t";
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
    void everyTaskRunsOnTheOneNamedNonDaemonThread() {
        List<CompletableFuture<Where>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            CompletableFuture<Where> ran = new CompletableFuture<>();
            runs.add(ran);
            s.schedule(() -> ran.complete(Where.here()));
        }

        Thread first = await(runs.get(0)).thread();
        assertThat(runs).allSatisfy(run -> assertThat(await(run).thread()).isSameAs(first));
        assertThat(first.getName()).isEqualTo("t-0");
        assertThat(first.isDaemon()).isFalse();
    }
}

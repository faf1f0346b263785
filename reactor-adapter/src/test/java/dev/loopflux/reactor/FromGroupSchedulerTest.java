package dev.loopflux.reactor;

import static dev.loopflux.reactor.TestSupport.await;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Scannable;
import reactor.core.scheduler.Scheduler;
import reactor.test.StepVerifier;

/**
 * The contract for {@link LoopSchedulers#from(LoopGroup)}: a scheduler over a group it does not
 * own. Disposing it stops the scheduler, never the group; the test shuts the group down.
 */
@Timeout(30)
class FromGroupSchedulerTest extends AbstractLoopSchedulerTest {
    private final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    private LoopGroup group;

    @Override
    Scheduler scheduler() {
        group = LoopGroup.create(LoopOptions.builder()
                .name("wrapped")
                .loops(2)
                .errorHandler((loop, error) -> errors.add(error))
                .build());
        return LoopSchedulers.from(group);
    }

    @AfterEach
    void shutDownTheGroup() {
        if (group != null) {
            await(group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)));
        }
    }

    @Override
    int loops() {
        return 2;
    }

    @Override
    String expectedName() {
        return "wrapped-0";
    }

    @Override
    boolean ownsLoops() {
        return false;
    }

    @Override
    boolean nonBlockingThreads() {
        return false; // the group's own default threads
    }

    @Override
    BlockingQueue<Throwable> reportedErrors() {
        return errors;
    }

    @Test
    void disposingTheSchedulerLeavesTheGroupRunning() {
        StepVerifier.create(s.disposeGracefully()).expectComplete().verify(Duration.ofSeconds(5));

        assertThat(s.isDisposed()).isTrue();
        assertThat(Scannable.from(s).scan(Scannable.Attr.TERMINATED)).isTrue();
        CountDownLatch ran = new CountDownLatch(group.size() * 2);
        for (Loop loop : group) {
            loop.execute(ran::countDown);
            loop.schedule(ran::countDown, 1, MILLISECONDS);
        }
        await(ran);
        assertThat(group.loops()).noneMatch(Loop::isShuttingDown);
    }

    @Test
    void theGroupShutsDownWhileZeroPeriodTasksAreLive() {
        CountDownLatch running = new CountDownLatch(20);
        s.schedulePeriodically(running::countDown, 0, 0, MILLISECONDS);
        s.createWorker().schedulePeriodically(running::countDown, 0, 0, MILLISECONDS);
        await(running);

        await(group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)));

        assertThat(group.isTerminated()).isTrue();
        assertThat(errors).as("errors reported while shutting down").isEmpty();
    }
}

package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

@Timeout(30)
class OffloadTest {
    private final LoopGroup group = LoopGroup.create("offload", 1);
    private Scheduler pool;

    @AfterEach
    void stop() {
        if (pool != null) {
            pool.dispose();
        }
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    @Test
    void blockingWorkRunsOffTheLoopAndItsResultComesBackOnIt() throws Exception {
        Loop loop = group.next();
        CompletableFuture<String[]> where = new CompletableFuture<>();
        loop.execute(() -> Offload.blocking(() -> {
                    java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // real blocking, allowed here: the pool's thread
                    return Thread.currentThread().getName();
                })
                .subscribe(workThread -> where.complete(new String[] {workThread, Thread.currentThread().getName(),
                        String.valueOf(loop.inLoop())})));
        String[] got = where.get(10, TimeUnit.SECONDS);
        assertThat(got[0]).startsWith("boundedElastic");
        assertThat(got[1]).isEqualTo("offload-0");
        assertThat(got[2]).isEqualTo("true");
    }

    @Test
    void overTheBoundOfThePoolSubscribingIsRejected() throws Exception {
        pool = Schedulers.newBoundedElastic(1, 1, "tiny");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Boolean> first = new CompletableFuture<>();
        Offload.blocking(() -> {
            started.countDown();
            return release.await(10, TimeUnit.SECONDS);
        }, pool).subscribe(first::complete, first::completeExceptionally);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        Disposable queued = Offload.blocking(() -> true, pool).subscribe(); // takes the one queue slot
        CompletableFuture<Throwable> third = new CompletableFuture<>();
        Offload.blocking(() -> true, pool).subscribe(v -> third.complete(null), third::complete);
        assertThat(third.get(10, TimeUnit.SECONDS)).isInstanceOf(RejectedExecutionException.class);
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isTrue(); // let it end, not interrupted: nothing to drop
        queued.dispose();
    }

    @Test
    void cancellingInterruptsTheBlockedCall() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        Disposable work = Offload.blocking(() -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(10, TimeUnit.SECONDS);
                interrupted.complete(false);
            } catch (InterruptedException e) {
                interrupted.complete(true);
            }
            return 1;
        }).subscribe();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        work.dispose();
        assertThat(interrupted.get(10, TimeUnit.SECONDS)).isTrue();
    }
}

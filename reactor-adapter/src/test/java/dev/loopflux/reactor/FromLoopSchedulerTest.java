package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;

/** {@code LoopSchedulers.from(loop)} is a hop onto that loop, whichever loop asks. */
@Timeout(30)
class FromLoopSchedulerTest {
    private final LoopGroup a = LoopGroup.create("from-a", 1);
    private final LoopGroup b = LoopGroup.create("from-b", 1);

    @AfterEach
    void stop() {
        a.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
        b.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }

    @Test
    void publishOnALoopsSchedulerFromAnotherLoopHopsOntoIt() throws Exception {
        Loop target = b.next();
        CompletableFuture<List<Boolean>> onTarget = new CompletableFuture<>();
        a.next().execute(() -> Flux.range(0, 100)
                .publishOn(LoopSchedulers.from(target))
                .map(i -> target.inLoop())
                .collectList()
                .subscribe(onTarget::complete, onTarget::completeExceptionally));
        assertThat(onTarget.get(10, TimeUnit.SECONDS)).hasSize(100).containsOnly(true);
    }
}

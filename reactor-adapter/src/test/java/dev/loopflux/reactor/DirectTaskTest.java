package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loopflux.core.TimerHandle;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.test.util.RaceTestUtils;

/** A task's timer is cancelled however its disposal and the end of its scheduling interleave. */
@Timeout(30)
class DirectTaskTest {

    /** Counts its cancels; true from the first. */
    static final class CountingTimer implements TimerHandle {
        final AtomicInteger cancels = new AtomicInteger();

        @Override
        public boolean cancel() {
            return cancels.incrementAndGet() == 1;
        }

        @Override
        public boolean isCancelled() {
            return cancels.get() > 0;
        }

        @Override
        public boolean isDone() {
            return isCancelled();
        }
    }

    @Test
    void disposingATaskCancelsItsTimer() {
        DirectTask task = new DirectTask(() -> { });
        CountingTimer timer = new CountingTimer();
        task.setTimer(timer);
        task.dispose();
        task.dispose();
        assertThat(timer.cancels).hasValue(1);
    }

    /**
     * A periodic task with no initial delay may run, throw and so dispose itself on the loop
     * before the thread that scheduled it has set its timer: the timer is cancelled when set,
     * instead of firing for nothing forever.
     */
    @Test
    void aTimerSetAfterTheTaskThrewAndDisposedItselfIsCancelled() {
        DirectTask task = new DirectTask(() -> {
            throw new IllegalStateException("first run");
        });
        assertThatThrownBy(task::run).hasMessage("first run");
        assertThat(task.isDisposed()).isTrue();

        CountingTimer timer = new CountingTimer();
        task.setTimer(timer);
        assertThat(timer.cancels).hasValue(1);
    }

    @Test
    void disposeRacingSetTimerCancelsTheTimer() {
        for (int round = 0; round < 20_000; round++) {
            DirectTask task = new DirectTask(() -> { });
            CountingTimer timer = new CountingTimer();
            RaceTestUtils.race(() -> task.setTimer(timer), task::dispose);
            assertThat(timer.cancels.get()).as("round %d", round).isBetween(1, 2);
        }
    }
}

package dev.loopflux.reactor;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Timeout;
import reactor.core.scheduler.Scheduler;

/**
 * The contract for the schedulers {@link LoopSchedulers#factory()} makes when Reactor asks it
 * directly, here with plain threads (Reactor's own thread factories are in
 * {@link DropInFactoryTest}).
 */
@Timeout(30)
class FactorySchedulerTest {

    @Nested
    @Timeout(30)
    class Parallel extends AbstractLoopSchedulerTest {

        @Override
        Scheduler scheduler() {
            Scheduler scheduler = LoopSchedulers.factory().newParallel(2, Thread::new);
            scheduler.init();
            return scheduler;
        }

        @Override
        int loops() {
            return 2;
        }

        @Override
        String expectedName() {
            return "parallel";
        }

        @Override
        boolean ownsLoops() {
            return true;
        }

        @Override
        boolean nonBlockingThreads() {
            return false; // Thread::new makes plain threads
        }
    }

    @Nested
    @Timeout(30)
    class Single extends AbstractLoopSchedulerTest {

        @Override
        Scheduler scheduler() {
            Scheduler scheduler = LoopSchedulers.factory().newSingle(Thread::new);
            scheduler.init();
            return scheduler;
        }

        @Override
        int loops() {
            return 1;
        }

        @Override
        String expectedName() {
            return "single";
        }

        @Override
        boolean ownsLoops() {
            return true;
        }

        @Override
        boolean nonBlockingThreads() {
            return false;
        }
    }
}

package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import reactor.core.Exceptions;
import reactor.core.scheduler.NonBlocking;
import reactor.core.scheduler.Schedulers;

/** Small helpers shared by the adapter's tests: bounded waits and quiet, expected failures. */
final class TestSupport {
    /** The longest any test waits for one event; far above what a healthy run needs. */
    static final long WAIT_SECONDS = 10;

    private TestSupport() {
    }

    /** Waits for {@code latch}, failing (not hanging) if it does not open in time. */
    static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(WAIT_SECONDS, TimeUnit.SECONDS))
                    .as("latch opened within %d s (count left: %d)", WAIT_SECONDS, latch.getCount())
                    .isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }

    /** Waits for {@code future}, failing if it does not complete in time. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("future did not complete normally within " + WAIT_SECONDS + " s", e);
        }
    }

    /**
     * For tasks that hold a loop until the test lets go: waits without failing the loop (the
     * test thread asserts), and gives up after the usual bound so that a failed test cannot
     * leave a loop stuck.
     */
    static void hold(CountDownLatch release) {
        try {
            release.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A failure a test throws on purpose: no stack trace, so the loop's error log stays short. */
    static RuntimeException expectedFailure(String what) {
        return new ExpectedFailure(what);
    }

    /** Asserts that {@code error} is the {@link RejectedExecutionException} Reactor's own code makes. */
    static void assertReactorRejected(Throwable error) {
        assertThat(error).isInstanceOf(RejectedExecutionException.class);
        assertThat(error.getClass().getEnclosingClass())
                .as("made by reactor.core.Exceptions.failWithRejected(...)")
                .isEqualTo(Exceptions.class);
    }

    /** Where a piece of code ran: its thread, the loop of that thread (or null), and Reactor's view of it. */
    record Where(Thread thread, Loop loop, boolean inLoop, boolean nonBlocking) {
        static Where here() {
            Loop loop = Loop.current();
            return new Where(Thread.currentThread(), loop, loop != null && loop.inLoop(), Schedulers.isInNonBlockingThread());
        }

        /** On a loop thread that Reactor sees as non-blocking. */
        boolean onNonBlockingLoop() {
            return inLoop && nonBlocking && thread instanceof NonBlocking;
        }
    }

    static final class ExpectedFailure extends RuntimeException {
        ExpectedFailure(String what) {
            super(what + " (thrown on purpose by the test)", null, false, false);
        }
    }
}

package dev.loopflux.core;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** The {@link LoopGroup} of {@link ThreadLoop}s. */
final class DefaultLoopGroup implements LoopGroup {
    private final Loop[] loops;
    private final List<Loop> view;
    private final AtomicInteger next = new AtomicInteger();
    private final CompletableFuture<Void> termination;

    DefaultLoopGroup(LoopOptions options) {
        loops = new Loop[options.loops()];
        try {
            for (int i = 0; i < loops.length; i++) {
                loops[i] = new ThreadLoop(options.name() + "-" + i, options, this);
            }
        } catch (RuntimeException | Error e) {
            for (Loop loop : loops) {
                if (loop != null) {
                    loop.shutdownGracefully(Duration.ZERO, Duration.ZERO);
                }
            }
            throw e;
        }
        view = List.of(loops);
        CompletableFuture<?>[] all = new CompletableFuture<?>[loops.length];
        for (int i = 0; i < loops.length; i++) {
            all[i] = loops[i].terminationFuture();
        }
        termination = CompletableFuture.allOf(all);
    }

    @Override
    public Loop next() {
        return loops[Math.floorMod(next.getAndIncrement(), loops.length)];
    }

    @Override
    public List<Loop> loops() {
        return view;
    }

    @Override
    public Iterator<Loop> iterator() {
        return view.iterator();
    }

    @Override
    public CompletableFuture<Void> shutdownGracefully(Duration quietPeriod, Duration timeout) {
        for (Loop loop : loops) {
            loop.shutdownGracefully(quietPeriod, timeout);
        }
        return termination;
    }

    @Override
    public CompletableFuture<Void> terminationFuture() {
        return termination;
    }

    @Override
    public String toString() {
        return "LoopGroup" + view;
    }
}

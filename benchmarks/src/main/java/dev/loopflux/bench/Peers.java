package dev.loopflux.bench;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.core.TimerHandle;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The peers, each with exactly one thread, each made the way its users would make it:
 * <ul>
 *   <li>{@code loopflux}: {@code Loop.create(LoopOptions.builder().name("bench").build())};</li>
 *   <li>{@code netty}: the one {@code EventLoop} of {@code new MultiThreadIoEventLoopGroup(1,
 *   NioIoHandler.newFactory())} (Netty 4.2);</li>
 *   <li>{@code reactor}: {@code Schedulers.newSingle("bench")}, the implementation of
 *   {@code Schedulers.single()}: a {@code ScheduledThreadPoolExecutor(1)} with
 *   {@code removeOnCancelPolicy(true)}, behind Reactor's task wrapper;</li>
 *   <li>{@code jdk}: {@code Executors.newSingleThreadExecutor()}; tasks only, no timers;</li>
 *   <li>{@code jdk-stpe}: {@code new ScheduledThreadPoolExecutor(1)} with
 *   {@code setRemoveOnCancelPolicy(true)}, the JDK's timer peer.</li>
 * </ul>
 */
public final class Peers {
    /** Peers of the task-dispatch benchmarks. */
    public static final List<String> DISPATCH = List.of("loopflux", "netty", "reactor", "jdk");
    /** Peers of the timer benchmarks: those that can schedule on their own thread. */
    public static final List<String> TIMERS = List.of("loopflux", "netty", "jdk-stpe", "reactor");

    private Peers() {
    }

    /** A new, started peer. The caller shuts it down. */
    public static Peer<?> create(String name) {
        switch (name) {
            case "loopflux": return new LoopfluxPeer();
            case "netty": return new NettyPeer();
            case "reactor": return new ReactorPeer();
            case "jdk": return new JdkPeer();
            case "jdk-stpe": return new JdkScheduledPeer();
            default: throw new IllegalArgumentException("unknown peer: " + name
                    + " (known: loopflux, netty, reactor, jdk, jdk-stpe)");
        }
    }

    /** Loopflux's {@link Loop} with default options. */
    static final class LoopfluxPeer implements Peer<TimerHandle> {
        private final Loop loop = Loop.create(LoopOptions.builder().name("bench").build());

        Loop loop() {
            return loop;
        }

        @Override
        public String name() {
            return "loopflux";
        }

        @Override
        public void execute(Runnable task) {
            loop.execute(task);
        }

        @Override
        public TimerHandle schedule(Runnable task, long delay, TimeUnit unit) {
            return loop.schedule(task, delay, unit);
        }

        @Override
        public boolean cancel(TimerHandle handle) {
            return handle.cancel();
        }

        @Override
        public void shutdown() {
            loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
        }
    }

    /** Netty 4.2's NIO event loop. */
    static final class NettyPeer implements Peer<io.netty.util.concurrent.ScheduledFuture<?>> {
        private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        /** The group's only loop, kept so that no call goes through the group's chooser. */
        private final EventLoop loop = group.next();

        @Override
        public String name() {
            return "netty";
        }

        @Override
        public void execute(Runnable task) {
            loop.execute(task);
        }

        @Override
        public io.netty.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
            return loop.schedule(task, delay, unit);
        }

        @Override
        public boolean cancel(io.netty.util.concurrent.ScheduledFuture<?> handle) {
            return handle.cancel(false);
        }

        @Override
        public void shutdown() {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Reactor's single scheduler (a ScheduledThreadPoolExecutor underneath). */
    static final class ReactorPeer implements Peer<Disposable> {
        private final Scheduler scheduler = Schedulers.newSingle("bench");

        @Override
        public String name() {
            return "reactor";
        }

        @Override
        public void execute(Runnable task) {
            scheduler.schedule(task);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return scheduler.schedule(task, delay, unit);
        }

        @Override
        public boolean cancel(Disposable handle) {
            handle.dispose(); // Disposable does not say whether this call was the one that cancelled
            return true;
        }

        @Override
        public void shutdown() {
            // dispose(), not disposeGracefully(): the latter leaves a non-daemon helper thread of
            // Reactor's that keeps the JVM alive for about 10 s after a harness has finished.
            // dispose() is shutdownNow() on the one ScheduledThreadPoolExecutor underneath.
            scheduler.dispose();
        }
    }

    /** {@code Executors.newSingleThreadExecutor()}: a LinkedBlockingQueue and one worker. */
    static final class JdkPeer implements Peer<Void> {
        private final ExecutorService executor = Executors.newSingleThreadExecutor();

        @Override
        public String name() {
            return "jdk";
        }

        @Override
        public void execute(Runnable task) {
            executor.execute(task);
        }

        @Override
        public Void schedule(Runnable task, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException("peer 'jdk' is Executors.newSingleThreadExecutor(), which has no timers;"
                    + " use 'jdk-stpe'");
        }

        @Override
        public boolean cancel(Void handle) {
            throw new UnsupportedOperationException("peer 'jdk' has no timers");
        }

        @Override
        public void shutdown() {
            executor.shutdown();
            awaitTermination(executor);
        }
    }

    /** {@code ScheduledThreadPoolExecutor(1)} that removes cancelled timers from its queue at once. */
    static final class JdkScheduledPeer implements Peer<Future<?>> {
        private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);

        JdkScheduledPeer() {
            executor.setRemoveOnCancelPolicy(true);
        }

        @Override
        public String name() {
            return "jdk-stpe";
        }

        @Override
        public void execute(Runnable task) {
            executor.execute(task);
        }

        @Override
        public Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
            return executor.schedule(task, delay, unit);
        }

        @Override
        public boolean cancel(Future<?> handle) {
            return handle.cancel(false);
        }

        @Override
        public void shutdown() {
            // shutdownNow, not shutdown: by default delayed tasks still pending would keep it alive.
            executor.shutdownNow();
            awaitTermination(executor);
        }
    }

    private static void awaitTermination(ExecutorService executor) {
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("executor did not terminate within 5 s: " + executor);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + executor, e);
        }
    }
}

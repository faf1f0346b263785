package dev.loopflux.core;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The blocked-loop watchdog: one daemon thread for all loops of the JVM, started with the
 * first watched loop and ended with the last.
 *
 * <p>It costs the loop almost nothing: the loop bumps a progress count after each run and
 * flags whether it is waiting in select (two opaque stores, no clock read per task). Every
 * {@code threshold / 8} the watchdog samples them; a loop that is running and whose count has
 * not moved since a sample at least {@code threshold} ago is stuck in one run. That run is
 * reported once, while it is still running, with the loop thread's stack at that moment.
 */
final class Watchdog implements Runnable {
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final List<Entry> ENTRIES = new CopyOnWriteArrayList<>();
    private static Thread thread; // guarded by Watchdog.class

    private Watchdog() {
    }

    static void watch(ThreadLoop loop) {
        Duration threshold = loop.options.blockedThreshold();
        if (threshold.isZero()) {
            return;
        }
        synchronized (Watchdog.class) {
            ENTRIES.add(new Entry(loop, threshold.toNanos()));
            if (thread == null) {
                thread = new Thread(new Watchdog(), "loopflux-watchdog");
                thread.setDaemon(true);
                thread.start();
            } else {
                LockSupport.unpark(thread); // its tick may have to shrink
            }
        }
    }

    static void unwatch(ThreadLoop loop) {
        ENTRIES.removeIf(e -> e.loop == loop);
    }

    @Override
    public void run() {
        for (;;) {
            long tick = MAX_TICK_NANOS;
            synchronized (Watchdog.class) {
                if (ENTRIES.isEmpty()) {
                    thread = null;
                    return;
                }
                for (Entry e : ENTRIES) {
                    tick = Math.min(tick, Math.max(MIN_TICK_NANOS, e.thresholdNanos / 8));
                }
            }
            LockSupport.parkNanos(this, tick);
            long now = System.nanoTime();
            for (Entry e : ENTRIES) {
                try {
                    e.check(now);
                } catch (Throwable error) {
                    Log.LOGGER.log(System.Logger.Level.ERROR, "Watchdog check of loop '" + e.loop.name() + "' failed", error);
                }
            }
        }
    }

    /** What the watchdog remembers of one loop; touched by the watchdog thread only. */
    private static final class Entry {
        final ThreadLoop loop;
        final long thresholdNanos;
        /** Progress count at the last sample, and since when it has not moved. */
        long lastProgress = -1;
        long since;
        /** Progress count of the run last reported, so each run is reported once. */
        long reportedProgress = -1;

        Entry(ThreadLoop loop, long thresholdNanos) {
            this.loop = loop;
            this.thresholdNanos = thresholdNanos;
        }

        void check(long now) {
            long progress = loop.progressSnapshot();
            if (progress != lastProgress || !loop.isRunningSnapshot()) {
                lastProgress = progress;
                since = now;
                return;
            }
            long stuck = now - since;
            loop.countMax(AbstractLoop.C_LONGEST_NANOS, stuck);
            if (stuck >= thresholdNanos && reportedProgress != progress) {
                reportedProgress = progress;
                report(Duration.ofNanos(stuck), loop.thread().getStackTrace());
            }
        }

        private void report(Duration blockedFor, StackTraceElement[] stack) {
            loop.count(AbstractLoop.C_BLOCKED_REPORTS, 1);
            if (Log.LOGGER.isLoggable(System.Logger.Level.WARNING)) {
                StringBuilder message = new StringBuilder()
                        .append("Loop '").append(loop.name()).append("' has been blocked for ")
                        .append(blockedFor.toMillis()).append(" ms by one task or handler (threshold ")
                        .append(thresholdNanos / 1_000_000).append(" ms); its thread is at:");
                for (StackTraceElement element : stack) {
                    message.append("\n\tat ").append(element);
                }
                Log.LOGGER.log(System.Logger.Level.WARNING, message.toString());
            }
            BlockedLoopListener listener = loop.options.blockedListener();
            if (listener != null) {
                listener.onBlocked(loop, blockedFor, stack);
            }
        }
    }
}

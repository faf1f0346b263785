package dev.loopflux.samples;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopMetrics;
import dev.loopflux.core.LoopOptions;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The {@code loop-demo} command: the bare loop at work in three short acts, all on loopback.
 * <ol>
 *   <li>Burst: this thread hands a loop one million tasks; the loop runs them in order and
 *   wakes up only when it may be sleeping, so the handover costs almost no system calls.</li>
 *   <li>Timers: thousands of timers at random delays, and how late each one ran.</li>
 *   <li>Echo: a TCP echo server on one loop and a client on another, written against the raw
 *   {@link dev.loopflux.core.IoHandler} API, bouncing small messages to measure round trips.</li>
 * </ol>
 */
final class LoopDemo {
    static final String USAGE = "usage: loop-demo [--loops N] [--tasks N] [--timers N] [--pings N]";

    /** What the demo does; parsed from the command line. */
    record Settings(int loops, int tasks, int timers, int pings) {
        static Settings parse(String[] args) {
            int loops = Runtime.getRuntime().availableProcessors();
            int tasks = 1_000_000;
            int timers = 10_000;
            int pings = 20_000;
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + args[i]);
                }
                int value = positive(args[i], args[i + 1]);
                switch (args[i]) {
                    case "--loops" -> loops = value;
                    case "--tasks" -> tasks = value;
                    case "--timers" -> timers = value;
                    case "--pings" -> pings = value;
                    default -> throw new IllegalArgumentException("unknown option: " + args[i]);
                }
            }
            return new Settings(loops, tasks, timers, pings);
        }

        private static int positive(String option, String text) {
            try {
                int value = Integer.parseInt(text);
                if (value > 0) {
                    return value;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException(option + " needs a positive number, not '" + text + "'");
        }
    }

    private final Settings settings;
    private final PrintStream out;

    LoopDemo(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /** The {@code loop-demo} command. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        new LoopDemo(settings, out).run();
        return 0;
    }

    void run() throws Exception {
        LoopGroup group = LoopGroup.create(LoopOptions.builder().name("demo").loops(settings.loops()).build());
        try {
            out.printf("Loopflux loop demo: %d loops on %d cores%n%n", group.size(), Runtime.getRuntime().availableProcessors());
            double tasksPerSecond = burst(group.loops().get(0));
            long[] lateness = timers(group.loops().get(group.size() - 1));
            long[] roundTrips = EchoDemo.run(group.loops().get(0), group.loops().get(1 % group.size()), settings.pings());

            out.println("what                          result");
            out.printf("burst (%,d tasks)%s%,.0f tasks/s%n", settings.tasks(), pad(settings.tasks(), 13), tasksPerSecond);
            out.printf("timer lateness p50 / p99      %s / %s%n", micros(percentile(lateness, 50)), micros(percentile(lateness, 99)));
            out.printf("echo round trip p50 / p99     %s / %s%n", micros(percentile(roundTrips, 50)), micros(percentile(roundTrips, 99)));
            out.println();
            out.println("loop      iterations      tasks     timers       keys   wakeups   longest task");
            for (Loop loop : group) {
                LoopMetrics m = loop.metrics();
                out.printf("%-8s %11d %10d %10d %10d %9d   %s%n", m.name(), m.iterations(), m.tasksRun(), m.timersRun(),
                        m.keysDispatched(), m.wakeups(), m.longestTask().isZero() ? "< sampling tick" : m.longestTask().toMillis() + " ms");
            }
        } finally {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        }
        out.println();
        out.println("All loops shut down.");
    }

    /** Hands {@code tasks} tasks to the loop from this thread; returns tasks per second. */
    private double burst(Loop loop) throws InterruptedException {
        int n = settings.tasks();
        CountDownLatch done = new CountDownLatch(1);
        int[] ran = {0}; // touched only on the loop thread
        Runnable task = () -> {
            if (++ran[0] == n) {
                done.countDown();
            }
        };
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            loop.execute(task);
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("burst did not finish: " + ran[0] + " of " + n);
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /** Schedules timers at random delays up to 100 ms; returns how late each ran, in nanoseconds. */
    private long[] timers(Loop loop) throws Exception {
        int n = settings.timers();
        long[] late = new long[n];
        CountDownLatch done = new CountDownLatch(n);
        Random random = new Random(42);
        CompletableFuture<Void> scheduled = new CompletableFuture<>();
        loop.execute(() -> { // schedule from the loop thread, as handlers do
            for (int i = 0; i < n; i++) {
                int index = i;
                long delay = 1 + random.nextInt(100_000_000);
                long due = System.nanoTime() + delay;
                loop.schedule(() -> {
                    late[index] = System.nanoTime() - due;
                    done.countDown();
                }, delay, TimeUnit.NANOSECONDS);
            }
            scheduled.complete(null);
        });
        scheduled.get(10, TimeUnit.SECONDS);
        if (!done.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("timers did not all fire: " + done.getCount() + " left");
        }
        return late;
    }

    static long percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100.0 * sorted.length) - 1));
        return sorted[index];
    }

    private static String micros(long nanos) {
        return String.format("%,.1f us", nanos / 1000.0);
    }

    private static String pad(int n, int width) {
        return " ".repeat(Math.max(1, width - String.format("%,d", n).length()));
    }
}

package dev.loopflux.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What the {@code main} harnesses share: running work on a peer's thread, heap readings, arguments. */
final class Harness {
    /** Longest a harness waits for one piece of work on a peer's thread before giving up. */
    private static final long WORK_TIMEOUT_SECONDS = 300;

    private Harness() {
    }

    /** Runs {@code work} on the peer's own thread and returns its result; rethrows what it threw. */
    static <T> T onExecutor(Peer<?> peer, Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        peer.execute(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return await(result, WORK_TIMEOUT_SECONDS, peer.name());
    }

    /** Waits for {@code future}, turning the checked exceptions into unchecked ones that name the peer. */
    static <T> T await(CompletableFuture<T> future, long timeoutSeconds, String peer) {
        try {
            return future.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("work on peer '" + peer + "' failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("work on peer '" + peer + "' did not finish within " + timeoutSeconds + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for peer '" + peer + "'", e);
        }
    }

    /**
     * Heap in use after full collections: {@code System.gc()} until the reading stops falling
     * (at most 5 times). The peers' threads must be idle.
     */
    static long settledHeapUsed() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            long used = memory.getHeapMemoryUsage().getUsed();
            if (used >= best && i >= 2) {
                break;
            }
            best = Math.min(best, used);
        }
        return best;
    }

    static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** {@code --key value} arguments; each key must be one of the known ones. */
    static final class Args {
        private final Map<String, String> values = new LinkedHashMap<>();

        /**
         * @param known the accepted keys, without {@code --}
         * @throws IllegalArgumentException on an unknown key or a key without a value
         */
        static Args parse(String[] args, List<String> known) {
            Args parsed = new Args();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String key = arg.startsWith("--") ? arg.substring(2) : null;
                if (key == null || !known.contains(key)) {
                    throw new IllegalArgumentException("unknown argument: " + arg + " (known: --" + String.join(", --", known) + ")");
                }
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException("missing value after " + arg);
                }
                parsed.values.put(key, args[++i]);
            }
            return parsed;
        }

        /** The value of {@code --key}, underscores allowed ({@code 1_000_000}); {@code def} if absent. */
        int intValue(String key, int def) {
            String v = values.get(key);
            if (v == null) {
                return def;
            }
            int value = Integer.parseInt(v.replace("_", ""));
            if (value < 0) {
                throw new IllegalArgumentException("--" + key + " < 0: " + value);
            }
            return value;
        }

        long longValue(String key, long def) {
            String v = values.get(key);
            return v == null ? def : Long.parseLong(v.replace("_", ""));
        }

        /** A comma-separated list, or {@code def} if absent. */
        List<String> list(String key, List<String> def) {
            String v = values.get(key);
            return v == null ? def : List.of(v.split(","));
        }
    }
}

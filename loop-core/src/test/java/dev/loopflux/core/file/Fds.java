package dev.loopflux.core.file;

import dev.loopflux.core.Loop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Open file descriptors of this process, from {@code /proc/self/fd} (Linux). */
final class Fds {
    private Fds() {
    }

    static boolean available() {
        return Files.isDirectory(Path.of("/proc/self/fd"));
    }

    /** What each open descriptor points to, without the listing's own. */
    static SortedMap<Integer, String> open() {
        SortedMap<Integer, String> targets = new TreeMap<>();
        String own = "/proc/" + ProcessHandle.current().pid() + "/fd";
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            list.forEach(p -> {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (!target.equals(own)) {
                        targets.put(Integer.parseInt(p.getFileName().toString()), target);
                    }
                } catch (IOException | NumberFormatException e) {
                    // closed while listing
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/self/fd", e);
        }
        return targets;
    }

    /** Descriptors open on a file under {@code dir}. */
    static long openUnder(Path dir) {
        String prefix;
        try {
            prefix = dir.toRealPath().toString(); // /proc shows resolved paths
        } catch (IOException e) {
            throw new IllegalStateException("cannot resolve " + dir, e);
        }
        return open().values().stream().filter(t -> t.startsWith(prefix)).count();
    }

    /**
     * Awaits no descriptor open under {@code dir}: a file is closed by its loop once the pool
     * call using it returns, so each try first lets the loop run what was handed to it.
     *
     * @return the descriptors still open under {@code dir} at the end (0 on success)
     */
    static long awaitNoneUnder(Path dir, Loop loop) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long open = openUnder(dir);
        while (open > 0 && System.nanoTime() < deadline) {
            passLoop(loop);
            open = openUnder(dir);
        }
        return open;
    }

    /** Returns once {@code loop} has run a task queued after this call. */
    static void passLoop(Loop loop) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> done.complete(null));
        done.get(10, TimeUnit.SECONDS);
    }
}

package dev.loopflux.bench.file;

import dev.loopflux.core.Loop;
import dev.loopflux.core.file.FileIo;
import dev.loopflux.core.file.ReadOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * File read throughput from the page cache (the file is read once before measuring): what each way
 * of reading costs on top of the copy out of the page cache, not the disk.
 *
 * <ul>
 *   <li>{@code plain}: one thread, a {@code FileChannel} read loop into one reused heap buffer: the
 *   baseline, which no event loop can beat since it never hands a chunk to another thread.</li>
 *   <li>{@code plain-alloc}: the same with a new heap buffer per read, as a publisher whose
 *   buffers belong to the subscriber has to hand out.</li>
 *   <li>{@code plain-copyof} (not in the default list): a new buffer per read made with
 *   {@code Arrays.copyOf} of a reused heap buffer read into, which the JIT need not zero first.</li>
 *   <li>{@code plain-direct} (not in the default list): a new heap buffer per read, copied out of a
 *   reused direct buffer read into.</li>
 *   <li>{@code loopflux}: {@link FileIo#read} on a loop, the subscriber requesting 16 chunks at a
 *   time: FileChannel positional reads on the shared blocking pool, each chunk a new heap buffer
 *   delivered on the loop.</li>
 *   <li>{@code afc}: {@link AsynchronousFileChannel} on its default executor, the same number of
 *   reads in flight, each a new heap buffer, each completion handed to the same loop.</li>
 *   <li>{@code afc-fixed}: the same with a fixed pool of {@code --inflight} threads.</li>
 * </ul>
 *
 * Options: {@code --size MiB} (1024), {@code --chunk bytes} (65536), {@code --inflight N} (4),
 * {@code --rounds R} (5), {@code --modes plain,plain-alloc,loopflux,afc,afc-fixed}, {@code --file path} (a
 * temporary file by default, deleted at the end). Prints the median MiB/s of the rounds per mode.
 */
public final class FileReadBench {
    private FileReadBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        long size = Long.parseLong(opts.getOrDefault("size", "1024")) << 20;
        int chunk = Integer.parseInt(opts.getOrDefault("chunk", "65536"));
        int inFlight = Integer.parseInt(opts.getOrDefault("inflight", "4"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "5"));
        List<String> modes = Arrays.asList(opts.getOrDefault("modes", "plain,plain-alloc,loopflux,afc,afc-fixed").split(","));
        boolean temporary = !opts.containsKey("file");
        Path file = temporary ? Files.createTempFile("loopflux-bench", ".bin") : Path.of(opts.get("file"));
        Loop loop = Loop.create("bench");
        ExecutorService fixed = Executors.newFixedThreadPool(inFlight, r -> {
            Thread t = new Thread(r, "afc-fixed");
            t.setDaemon(true);
            return t;
        });
        try {
            if (temporary) {
                fill(file, size);
            }
            size = Files.size(file);
            plain(file, chunk); // into the page cache
            Map<String, Function<Path, Long>> runs = new LinkedHashMap<>();
            runs.put("plain", f -> plain(f, chunk));
            runs.put("plain-alloc", f -> plainAlloc(f, chunk));
            runs.put("plain-copyof", f -> plainCopyOf(f, chunk));
            runs.put("plain-direct", f -> plainDirectCopy(f, chunk));
            runs.put("loopflux", f -> loopflux(loop, f, chunk, inFlight));
            runs.put("afc", f -> afc(loop, f, chunk, inFlight, null));
            runs.put("afc-fixed", f -> afc(loop, f, chunk, inFlight, fixed));
            Map<String, List<Double>> results = new LinkedHashMap<>();
            for (int round = -1; round < rounds; round++) { // round -1 warms up
                for (String mode : modes) {
                    long start = System.nanoTime();
                    long read = runs.get(mode).apply(file);
                    long nanos = System.nanoTime() - start;
                    if (read != size) {
                        throw new IllegalStateException(mode + " read " + read + " bytes of " + size);
                    }
                    if (round >= 0) {
                        results.computeIfAbsent(mode, m -> new ArrayList<>()).add(size / 1048576.0 / (nanos / 1e9));
                    }
                }
            }
            System.out.printf("file %d MiB, chunk %d B, %d in flight, median of %d rounds%n", size >> 20, chunk, inFlight, rounds);
            double plainRate = median(results.getOrDefault("plain", List.of(Double.NaN)));
            for (Map.Entry<String, List<Double>> e : results.entrySet()) {
                double m = median(e.getValue());
                System.out.printf("%-12s %9.0f MiB/s  %5.2fx plain%n", e.getKey(), m, m / plainRate);
            }
        } finally {
            loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
            fixed.shutdown();
            if (temporary) {
                Files.deleteIfExists(file);
            }
        }
    }

    static long plain(Path file, int chunk) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(chunk);
            long total = 0;
            int n;
            while ((n = ch.read(buffer)) >= 0) {
                total += n;
                buffer.clear();
            }
            return total;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The baseline with one new heap buffer per read, as a publisher whose buffers belong to the subscriber must do. */
    static long plainAlloc(Path file, int chunk) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long total = 0;
            int n;
            while ((n = ch.read(ByteBuffer.allocate(chunk))) >= 0) {
                total += n;
            }
            return total;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new buffer per read, made by Arrays.copyOf of a reused heap buffer (C2 need not zero it first). */
    static long plainCopyOf(Path file, int chunk) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            byte[] reused = new byte[chunk];
            ByteBuffer buffer = ByteBuffer.wrap(reused);
            long total = 0;
            int n;
            while ((n = ch.read(buffer.clear())) >= 0) {
                total += ByteBuffer.wrap(java.util.Arrays.copyOf(reused, n)).remaining();
            }
            return total;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new buffer per read, copied out of a reused direct buffer read into (no JDK temporary buffer). */
    static long plainDirectCopy(Path file, int chunk) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer direct = ByteBuffer.allocateDirect(chunk);
            long total = 0;
            int n;
            while ((n = ch.read(direct.clear())) >= 0) {
                total += ByteBuffer.allocate(n).put(direct.flip()).flip().remaining();
            }
            return total;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static long loopflux(Loop loop, Path file, int chunk, int inFlight) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        ReadOptions options = ReadOptions.builder().chunkSize(chunk).maxInFlight(inFlight).build();
        FileIo.read(loop, file, options).subscribe(new Subscriber<>() {
            private Subscription s;
            private long total;
            private int received;

            @Override
            public void onSubscribe(Subscription s) {
                this.s = s;
                s.request(16);
            }

            @Override
            public void onNext(ByteBuffer b) {
                total += b.remaining();
                if (++received == 8) {
                    received = 0;
                    s.request(8);
                }
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(total);
            }
        });
        return done.join();
    }

    /** Keeps {@code inFlight} reads going; each completion is counted on the loop, which issues the next. */
    static long afc(Loop loop, Path file, int chunk, int inFlight, ExecutorService executor) {
        try (AsynchronousFileChannel ch = executor == null
                ? AsynchronousFileChannel.open(file, StandardOpenOption.READ)
                : AsynchronousFileChannel.open(file, Set.of(StandardOpenOption.READ), executor)) {
            long size = ch.size();
            CompletableFuture<Long> done = new CompletableFuture<>();
            long[] state = new long[3]; // next position, bytes counted, reads running (loop thread)
            Runnable[] issue = new Runnable[1];
            CompletionHandler<Integer, ByteBuffer> handler = new CompletionHandler<>() {
                @Override
                public void completed(Integer n, ByteBuffer b) {
                    loop.execute(() -> {
                        state[1] += n;
                        state[2]--;
                        issue[0].run();
                    });
                }

                @Override
                public void failed(Throwable t, ByteBuffer b) {
                    done.completeExceptionally(t);
                }
            };
            issue[0] = () -> {
                while (state[2] < inFlight && state[0] < size) {
                    ByteBuffer b = ByteBuffer.allocate((int) Math.min(chunk, size - state[0]));
                    state[2]++;
                    ch.read(b, state[0], b, handler);
                    state[0] += b.capacity();
                }
                if (state[2] == 0 && state[0] >= size) {
                    done.complete(state[1]);
                }
            };
            loop.execute(issue[0]);
            return done.join();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void fill(Path file, long size) throws IOException {
        byte[] block = new byte[1 << 20];
        new Random(42).nextBytes(block);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (long written = 0; written < size; written += block.length) {
                ByteBuffer b = ByteBuffer.wrap(block, 0, (int) Math.min(block.length, size - written));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        return opts;
    }
}

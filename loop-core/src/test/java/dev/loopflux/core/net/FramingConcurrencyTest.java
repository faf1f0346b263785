package dev.loopflux.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;

/**
 * {@link Framing} with request and cancel coming from several threads at once, looped many times;
 * and the drain loop's trampoline (rule 3.3). Frames are emitted on whichever thread runs the loop.
 */
@Timeout(120)
class FramingConcurrencyTest {

    private static final int THREADS = 4;
    private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Runs {@code task} on every pool thread at once; returns when all are done, rethrowing a failure. */
    private void race(Runnable task) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            futures.add(pool.submit(() -> {
                start.await();
                task.run();
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    private static List<String> expectedLines(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(FrameStreams.content(i));
        }
        return out;
    }

    @Test
    void concurrentRequestsGetEveryFrameOnceInOrderAndSerially() throws Exception {
        int perThread = 300;
        int frames = THREADS * perThread;
        for (int round = 0; round < 50; round++) {
            long seed = round;
            ChunkSource source = ChunkSource.generated(() -> FrameStreams.chunked(frames, FrameStreams::line, seed));
            RecordingSubscriber s = new RecordingSubscriber(0);
            Framing.lines(source, 64, "race").subscribe(s);

            race(() -> {
                for (int i = 0; i < perThread; i++) {
                    s.request(1);
                }
            });

            assertThat(s.terminated.await(10, TimeUnit.SECONDS)).as("round %d completed", round).isTrue();
            assertThat(s.violations).as("round %d", round).isEmpty();
            assertThat(s.error).isNull();
            assertThat(s.texts()).as("round %d", round).containsExactlyElementsOf(expectedLines(frames));
            assertThat(source.requests).containsOnly(1L);
        }
    }

    @Test
    void cancelRacingRequestsStopsTheSignalsAndReachesUpstreamOnce() throws Exception {
        for (int round = 0; round < 200; round++) {
            ChunkSource source = ChunkSource.generated(() -> FrameStreams.chunked(Long.MAX_VALUE, FrameStreams::line, 7));
            RecordingSubscriber s = new RecordingSubscriber(0);
            Framing.lines(source, 64, "race").subscribe(s);
            int canceller = round % 50;

            race(() -> {
                for (int i = 0; i < 50; i++) {
                    if (i == canceller) {
                        s.cancel();
                    }
                    s.request(3);
                }
            });

            int seen = s.frames.size();
            s.request(10);
            assertThat(s.frames).hasSize(seen); // nothing after cancel() returned
            assertThat(source.cancels).hasValue(1);
            assertThat(s.terminalSignals).isZero();
            assertThat(s.violations).isEmpty();
        }
    }

    @Test
    void requestFromOnNextIsTrampolinedNotRecursive() {
        int frames = 20_000;
        Publisher<ByteBuffer> lines = Framing.lines(
                ChunkSource.generated(() -> FrameStreams.chunked(frames, FrameStreams::line, 3)), 64, "trampoline");
        int[] depth = {Integer.MAX_VALUE, 0};
        RecordingSubscriber s = new RecordingSubscriber(1) {
            @Override
            void afterNext(ByteBuffer frame) {
                int d = new Throwable().getStackTrace().length;
                depth[0] = Math.min(depth[0], d);
                depth[1] = Math.max(depth[1], d);
                request(1);
            }
        };
        lines.subscribe(s);

        assertThat(s.frames).hasSize(frames);
        assertThat(s.completed).isTrue();
        assertThat(depth[1] - depth[0]).as("stack growth over %d frames", frames).isLessThan(10);
    }
}

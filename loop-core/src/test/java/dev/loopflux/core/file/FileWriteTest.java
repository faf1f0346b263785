package dev.loopflux.core.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.BlockingPool;
import dev.loopflux.core.Loop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileWriteTest {
    @TempDir
    Path dir;
    private Loop loop;

    @BeforeEach
    void startLoop() {
        loop = Loop.create("file-write-test");
    }

    @AfterEach
    void stopLoop() throws Exception {
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    @Test
    void writesEveryBufferAndEmitsTheCountOnTheLoop() throws Exception {
        Path file = dir.resolve("out.bin");
        Chunks data = Chunks.of(300, 1000, 1);

        Signals<Long> result = Signals.subscribe(FileIo.write(loop, file, data), loop, 1);
        result.awaitComplete();

        assertThat(result.items()).containsExactly(300_000L);
        assertThat(Files.readAllBytes(file)).isEqualTo(data.bytes());
        assertThat(data.peakOutstanding.get()).as("one buffer asked for at a time").isEqualTo(1);
        assertThat(result.offLoop).isNull();
        assertThat(result.afterTerminal).isNull();
        assertThat(Fds.openUnder(dir)).as("closed before the count").isZero();
    }

    @Test
    void theCountWaitsForDemand() throws Exception {
        Path file = dir.resolve("out.bin");
        Signals<Long> result = Signals.subscribe(FileIo.write(loop, file, Chunks.of(3, 10, 2)), loop, 0);
        while (!Files.exists(file) || Files.size(file) < 30 || Fds.openUnder(dir) > 0) { // written and closed, count not asked for
            Fds.passLoop(loop);
        }
        Fds.passLoop(loop);
        assertThat(result.terminal).isNotDone();
        result.request(1);
        result.awaitComplete();
        assertThat(result.items()).containsExactly(30L);
    }

    @Test
    void truncatesByDefaultAppendsWhenAsked() throws Exception {
        Path file = Files.write(dir.resolve("f.txt"), "old content".getBytes());
        Signals.subscribe(FileIo.write(loop, file, Chunks.of(1, 4, 3)), loop, 1).awaitComplete();
        assertThat(Files.readAllBytes(file)).isEqualTo(Chunks.of(1, 4, 3).bytes());

        WriteOptions append = WriteOptions.builder().append(true).force(true).build();
        Signals<Long> appended = Signals.subscribe(FileIo.write(loop, file, Chunks.of(2, 3, 4), append), loop, 1);
        appended.awaitComplete();
        assertThat(appended.items()).containsExactly(6L);
        byte[] expected = new byte[10];
        System.arraycopy(Chunks.of(1, 4, 3).bytes(), 0, expected, 0, 4);
        System.arraycopy(Chunks.of(2, 3, 4).bytes(), 0, expected, 4, 6);
        assertThat(Files.readAllBytes(file)).isEqualTo(expected);
    }

    @Test
    void emptyDataCreatesAnEmptyFile() throws Exception {
        Path file = dir.resolve("empty");
        Signals<Long> result = Signals.subscribe(FileIo.write(loop, file, Chunks.of(0, 1, 0)), loop, 1);
        result.awaitComplete();
        assertThat(result.items()).containsExactly(0L);
        assertThat(file).exists().isEmptyFile();
    }

    @Test
    void withoutCreateAMissingFileFailsAndTheDataIsNeverSubscribed() throws Exception {
        Path file = dir.resolve("missing.bin");
        List<String> touched = new ArrayList<>();
        Publisher<ByteBuffer> data = s -> touched.add("subscribed");

        Throwable error = Signals.subscribe(FileIo.write(loop, file, data, WriteOptions.builder().create(false).build()), loop, 1)
                .awaitError();

        assertThat(error).isInstanceOf(NoSuchFileException.class).hasMessage(file + ": cannot open for writing: no such file");
        assertThat(touched).isEmpty();
    }

    @Test
    void aDirectoryFailsNamingThePath() throws Exception {
        Throwable error = Signals.subscribe(FileIo.write(loop, dir, Chunks.of(1, 1, 0)), loop, 1).awaitError();
        assertThat(error).isInstanceOf(FileSystemException.class).hasMessageStartingWith(dir + ": cannot open for writing");
    }

    /** {@code /dev/full} fails every write with ENOSPC: a full disk without filling one. */
    @Test
    void aFullDeviceFailsTheWriteNamingThePathAndCancelsTheData() throws Exception {
        Path full = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.isWritable(full), "no writable /dev/full here");
        Chunks data = Chunks.of(10, 100, 5);

        Throwable error = Signals.subscribe(FileIo.write(loop, full, data, WriteOptions.builder().create(false).build()), loop, 1)
                .awaitError();

        assertThat(error).isInstanceOf(FileSystemException.class)
                .hasMessage("/dev/full: write at offset 0 failed: No space left on device");
        assertThat(error.getCause()).isInstanceOf(IOException.class);
        data.cancelled.get(10, TimeUnit.SECONDS);
        assertThat(Fds.open().values()).doesNotContain("/dev/full");
    }

    @Test
    void theDatasErrorIsSignalledAsItIsAndTheFileClosed() throws Exception {
        Path file = dir.resolve("partial.bin");
        IOException boom = new IOException("upstream broke");
        Chunks data = new Chunks(5, 10, 6, boom);

        Throwable error = Signals.subscribe(FileIo.write(loop, file, data), loop, 1).awaitError();

        assertThat(error).isSameAs(boom);
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
        assertThat(Files.size(file)).isBetween(0L, 50L);
        assertThat(data.cancelled).as("§2.4: not cancelled after its own onError").isNotDone();
    }

    @Test
    void cancellingCancelsTheDataAndClosesTheFile() throws Exception {
        Path file = dir.resolve("cancelled.bin");
        java.util.concurrent.CompletableFuture<Void> dataCancelled = new java.util.concurrent.CompletableFuture<>();
        Publisher<ByteBuffer> endless = s -> s.onSubscribe(new Subscription() {
            @Override
            public void request(long n) {
                s.onNext(ByteBuffer.wrap(new byte[100]));
            }

            @Override
            public void cancel() {
                dataCancelled.complete(null);
            }
        });
        Signals<Long> result = Signals.subscribe(FileIo.write(loop, file, endless), loop, 1);
        while (!Files.exists(file) || Files.size(file) < 10_000) {
            Fds.passLoop(loop);
        }
        result.cancel();

        dataCancelled.get(10, TimeUnit.SECONDS);
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
        assertThat(result.terminal).isNotDone();
    }

    @Test
    void cancelRacingTheWritesNeverLeavesTheFileOpen() throws Exception {
        // A pool of its own, so that the test can wait for every open and write to have returned
        // (a cancelled write may still create its file) before the directory is deleted.
        BlockingPool pool = BlockingPool.create(4, 1000);
        WriteOptions options = WriteOptions.builder().pool(pool).build();
        for (int i = 0; i < 200; i++) {
            Chunks data = Chunks.of(1000, 512, i);
            Signals<Long> result = Signals.subscribe(FileIo.write(loop, dir.resolve("race-" + i), data, options), loop, 1);
            for (int spin = 0; spin < i * 20; spin++) {
                Thread.onSpinWait();
            }
            result.cancel();
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(java.time.Duration.ofSeconds(30))).isTrue();
        Fds.passLoop(loop); // the pool's last hand-backs, which close the files, have run
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void copiesFiftyFilesAtOnceFromOneLoop() throws Exception {
        int files = 50;
        List<Path> sources = new ArrayList<>();
        List<Long> crcs = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            Path source = dir.resolve("src-" + i);
            crcs.add(FileReadTest.randomFile(source, (1 << 20) + i * 4099L, 100 + i));
            sources.add(source);
        }
        int before = Fds.open().size();

        // Fifty reads and fifty writes in flight on one loop: each copy reads one file while writing another.
        List<Signals<Long>> copies = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            Publisher<ByteBuffer> read = FileIo.read(loop, sources.get(i), ReadOptions.builder().chunkSize(16 * 1024).build());
            copies.add(Signals.subscribe(FileIo.write(loop, dir.resolve("dst-" + i), read), loop, 1));
        }
        for (int i = 0; i < files; i++) {
            copies.get(i).awaitComplete();
            assertThat(copies.get(i).items()).containsExactly(Files.size(sources.get(i)));
            assertThat(copies.get(i).offLoop).isNull();
        }
        // and read the copies back, all at once
        List<Signals<ByteBuffer>> reads = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            Signals<ByteBuffer> r = Signals.oneAtATime(loop);
            FileIo.read(loop, dir.resolve("dst-" + i)).subscribe(r);
            reads.add(r);
        }
        for (int i = 0; i < files; i++) {
            reads.get(i).awaitComplete();
            assertThat(reads.get(i).crc()).as("copy %d", i).isEqualTo(crcs.get(i));
            assertThat(reads.get(i).offLoop).isNull();
        }
        assertThat(Fds.openUnder(dir)).isZero();
        assertThat(Fds.open().size()).isLessThanOrEqualTo(before);
    }

    @Test
    void signalsFromDataOnOtherThreadsAreHandledOnTheLoop() throws Exception {
        Path file = dir.resolve("threads.bin");
        Chunks chunks = Chunks.of(100, 100, 7);
        Publisher<ByteBuffer> offLoop = s -> chunks.subscribe(new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription sub) {
                s.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        new Thread(() -> sub.request(n), "data-thread").start(); // the data emits on its own thread
                    }

                    @Override
                    public void cancel() {
                        sub.cancel();
                    }
                });
            }

            @Override
            public void onNext(ByteBuffer b) {
                s.onNext(b);
            }

            @Override
            public void onError(Throwable t) {
                s.onError(t);
            }

            @Override
            public void onComplete() {
                s.onComplete();
            }
        });

        Signals<Long> result = Signals.subscribe(FileIo.write(loop, file, offLoop), loop, 1);
        result.awaitComplete();

        assertThat(result.items()).containsExactly(10_000L);
        assertThat(Files.readAllBytes(file)).isEqualTo(chunks.bytes());
        assertThat(result.offLoop).isNull();
        assertThat(Arrays.asList(WriteOptions.defaults().create(), WriteOptions.defaults().truncate(),
                WriteOptions.defaults().append(), WriteOptions.defaults().force())).containsExactly(true, true, false, false);
    }
}

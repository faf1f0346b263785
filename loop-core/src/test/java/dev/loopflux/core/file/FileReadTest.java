package dev.loopflux.core.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.loopflux.core.Loop;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileReadTest {
    @TempDir
    Path dir;
    private Loop loop;

    @BeforeEach
    void startLoop() {
        loop = Loop.create("file-read-test");
    }

    @AfterEach
    void stopLoop() throws Exception {
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    /** Writes {@code size} random bytes to {@code file}; returns their CRC32. */
    static long randomFile(Path file, long size, long seed) throws Exception {
        Random random = new Random(seed);
        CRC32 crc = new CRC32();
        byte[] block = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                int n = (int) Math.min(block.length, size - written);
                crc.update(block, 0, n);
                ByteBuffer b = ByteBuffer.wrap(block, 0, n);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
        return crc.getValue();
    }

    @Test
    void reads64MiBOneElementAtATimeWithOneReadInFlight() throws Exception {
        Path file = dir.resolve("big.bin");
        long size = 64L << 20;
        long crc = randomFile(file, size, 1);
        int before = Fds.open().size();

        Signals<ByteBuffer> reader = Signals.oneAtATime(loop);
        FileIo.read(loop, file).subscribe(reader);
        reader.awaitComplete(60);

        assertThat(reader.bytes()).isEqualTo(size);
        assertThat(reader.crc()).isEqualTo(crc);
        assertThat(reader.offLoop).isNull();
        assertThat(reader.afterTerminal).isNull();
        assertThat(((FileRead) reader.subscription()).peakInFlight).as("reads in flight at once").isEqualTo(1);
        assertThat(Fds.openUnder(dir)).as("closed before onComplete").isZero();
        assertThat(Fds.open().size()).isLessThanOrEqualTo(before);
    }

    @Test
    void unboundedDemandKeepsAtMostMaxInFlightReads() throws Exception {
        Path file = dir.resolve("f.bin");
        long crc = randomFile(file, 4 << 20, 2);
        ReadOptions options = ReadOptions.builder().chunkSize(4096).maxInFlight(3).build();

        Signals<ByteBuffer> reader = Signals.requesting(loop, Long.MAX_VALUE);
        FileIo.read(loop, file, options).subscribe(reader);
        reader.awaitComplete();

        assertThat(reader.crc()).isEqualTo(crc);
        assertThat(reader.items()).hasSize(1024).allSatisfy(b -> assertThat(b.remaining()).isEqualTo(4096));
        assertThat(((FileRead) reader.subscription()).peakInFlight).isBetween(1, 3);
        assertThat(reader.offLoop).isNull();
    }

    @Test
    void readsTheRangeInChunksOfExactlyChunkSize() throws Exception {
        Path file = dir.resolve("range.bin");
        byte[] data = new byte[1000];
        new Random(3).nextBytes(data);
        Files.write(file, data);
        ReadOptions options = ReadOptions.builder().chunkSize(64).position(10).length(500).build();

        Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file, options), loop, Long.MAX_VALUE);
        reader.awaitComplete();

        assertThat(reader.items()).extracting(ByteBuffer::remaining).containsExactly(64, 64, 64, 64, 64, 64, 64, 52);
        assertThat(reader.content()).isEqualTo(Arrays.copyOfRange(data, 10, 510));
    }

    @Test
    void aRangePastTheEndStopsAtTheEnd() throws Exception {
        Path file = dir.resolve("short.bin");
        byte[] data = new byte[1000];
        new Random(4).nextBytes(data);
        Files.write(file, data);

        Signals<ByteBuffer> tail = Signals.subscribe(
                FileIo.read(loop, file, ReadOptions.builder().position(900).length(500).build()), loop, 10);
        Signals<ByteBuffer> past = Signals.subscribe(
                FileIo.read(loop, file, ReadOptions.builder().position(5000).build()), loop, 10);
        tail.awaitComplete();
        past.awaitComplete();

        assertThat(tail.content()).isEqualTo(Arrays.copyOfRange(data, 900, 1000));
        assertThat(past.items()).isEmpty();
    }

    @Test
    void anEmptyFileCompletesAtTheFirstRequestWithNothing() throws Exception {
        Path file = Files.createFile(dir.resolve("empty"));
        Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file), loop, 1);
        reader.awaitComplete();
        assertThat(reader.items()).isEmpty();
        assertThat(reader.offLoop).isNull();
    }

    /** {@code /proc} files say they are empty regular files; their content is read all the same. */
    @Test
    void aProcFileIsReadToItsEndThoughItReportsSizeZero() throws Exception {
        Path status = Path.of("/proc/self/status");
        assertThat(Files.size(status)).isZero();
        Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, status), loop, Long.MAX_VALUE);
        reader.awaitComplete();
        String text = new String(reader.content(), java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(text).startsWith("Name:").contains("VmRSS:");
    }

    @Test
    void aMissingFileFailsWithoutDemandNamingThePath() throws Exception {
        Path file = dir.resolve("missing.bin");
        Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file), loop, 0);

        Throwable error = reader.awaitError();

        assertThat(error).isInstanceOf(NoSuchFileException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("cannot open for reading: no such file");
        assertThat(((FileSystemException) error).getFile()).isEqualTo(file.toString());
        assertThat(reader.offLoop).isNull();
    }

    @Test
    void aDirectoryFailsNamingThePath() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Throwable error = Signals.subscribe(FileIo.read(loop, sub), loop, 1).awaitError();
        assertThat(error).isInstanceOf(FileSystemException.class).hasMessage(sub + ": cannot open for reading: is a directory");
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    /** Root reads anything whatever its mode: the test is skipped then (the directory case covers the open failure). */
    @Test
    void anUnreadableFileFailsWithAccessDenied() throws Exception {
        Path file = Files.write(dir.resolve("secret"), new byte[10]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        Assumptions.assumeFalse(Files.isReadable(file), "running as root: mode 000 does not stop reading");

        Throwable error = Signals.subscribe(FileIo.read(loop, file), loop, 1).awaitError();
        assertThat(error).isInstanceOf(AccessDeniedException.class).hasMessageContaining(file.toString());
    }

    @Test
    void cancellingStopsReadingAndClosesTheFile() throws Exception {
        Path file = dir.resolve("cancel.bin");
        randomFile(file, 8 << 20, 5);
        Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file), loop, 3);
        while (reader.items().size() < 3) {
            Fds.passLoop(loop);
        }
        reader.cancel();
        reader.request(100); // after cancel: a no-op

        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
        Fds.passLoop(loop);
        assertThat(reader.items()).hasSize(3);
        assertThat(reader.terminal).isNotDone();
    }

    @Test
    void cancellingBeforeTheFileIsOpenClosesItWhenItOpens() throws Exception {
        Path file = dir.resolve("early.bin");
        randomFile(file, 1 << 20, 6);
        for (int i = 0; i < 50; i++) {
            Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file), loop, 1);
            reader.cancel();
        }
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void cancelRacingTheReadsNeverLeavesTheFileOpen() throws Exception {
        Path file = dir.resolve("race.bin");
        randomFile(file, 2 << 20, 9);
        ReadOptions options = ReadOptions.builder().chunkSize(4096).maxInFlight(8).build();
        for (int i = 0; i < 300; i++) {
            Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file, options), loop, Long.MAX_VALUE);
            for (int spin = 0; spin < i * 10; spin++) { // cancel at a different point each time
                Thread.onSpinWait();
            }
            reader.cancel(); // from the test thread, racing the open and the reads' completions
            assertThat(reader.afterTerminal).isNull();
        }
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void nonPositiveRequestFailsWithIllegalArgument() throws Exception {
        Path file = dir.resolve("f.bin");
        randomFile(file, 1 << 20, 7);
        Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file), loop, 0);
        reader.request(0);
        assertThat(reader.awaitError()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3.9");
        assertThat(Fds.awaitNoneUnder(dir, loop)).isZero();
    }

    @Test
    void requestsFromAnotherThreadStillSignalOnTheLoop() throws Exception {
        Path file = dir.resolve("f.bin");
        long crc = randomFile(file, 1 << 20, 8);
        Signals<ByteBuffer> reader = Signals.subscribe(FileIo.read(loop, file, ReadOptions.builder().chunkSize(1000).build()), loop, 0);
        for (int i = 0; i < 1049; i++) { // 1 MiB in 1000-byte chunks: 1049 elements
            reader.request(1);
        }
        reader.awaitComplete();
        assertThat(reader.crc()).isEqualTo(crc);
        assertThat(reader.items()).hasSize(1049);
        assertThat(reader.offLoop).isNull();
    }

    @Test
    void optionsRejectBadValues() {
        assertThatThrownBy(() -> ReadOptions.builder().chunkSize(0)).hasMessage("chunkSize not in [1, 16777216]: 0");
        assertThatThrownBy(() -> ReadOptions.builder().position(-1)).hasMessage("position < 0: -1");
        assertThatThrownBy(() -> ReadOptions.builder().length(-2)).hasMessage("length < 0: -2");
        assertThatThrownBy(() -> ReadOptions.builder().maxInFlight(65)).hasMessage("maxInFlight not in [1, 64]: 65");
    }
}

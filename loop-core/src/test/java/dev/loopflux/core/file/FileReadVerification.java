package dev.loopflux.core.file;

import dev.loopflux.core.Loop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK for {@link FileIo#read}. The chunk size is fixed at {@value #CHUNK} bytes,
 * so a file of {@code n * CHUNK} bytes is a stream of exactly {@code n} elements; each
 * {@code createPublisher(n)} writes such a file (once per {@code n}). The failed publisher reads a
 * missing file: the open fails, which is signalled without a request.
 *
 * <p>{@link #maxElementsFromPublisher()} is 4096 (a 64 KiB file at most): the rule that needs
 * {@code Integer.MAX_VALUE} elements is skipped by the TCK.
 *
 * <p>Public for TestNG; see {@code net.LengthPrefixedFramingVerification} for the lint warning.
 */
@SuppressWarnings("exports")
public class FileReadVerification extends PublisherVerification<ByteBuffer> {
    static final int CHUNK = 16;
    private Loop loop;
    private Path dir;

    public FileReadVerification() {
        super(new TestEnvironment(1000, 200));
    }

    @BeforeClass
    public void start() throws IOException {
        loop = Loop.create("tck-file-read");
        dir = Files.createTempDirectory("tck-file-read");
    }

    @AfterClass
    public void stop() throws Exception {
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Override
    public long maxElementsFromPublisher() {
        return 4096;
    }

    @Override
    public Publisher<ByteBuffer> createPublisher(long elements) {
        Path file = dir.resolve(elements + ".bin");
        try {
            if (!Files.exists(file)) {
                byte[] data = new byte[(int) elements * CHUNK];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) i;
                }
                Files.write(file, data);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return FileIo.read(loop, file, ReadOptions.builder().chunkSize(CHUNK).build());
    }

    @Override
    public Publisher<ByteBuffer> createFailedPublisher() {
        return FileIo.read(loop, dir.resolve("missing.bin"));
    }
}

package dev.loopflux.core.file;

import dev.loopflux.core.Loop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.reactivestreams.Subscriber;
import org.reactivestreams.tck.SubscriberBlackboxVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK (black box) for the subscriber that {@link FileIo#write} subscribes to the
 * data. {@link #createSubscriber()} starts a write of a fresh file with a data publisher that only
 * hands over the subscriber it is given (which happens once the file is open), subscribes to the
 * count so that the write starts, and returns that subscriber.
 *
 * <p>Skipped: the {@code untested_*} rules, by the TCK itself. {@code FileWriteTest} checks the
 * white-box ones that matter here: one buffer requested at a time, no cancel after the data's
 * onError.
 *
 * <p>Public for TestNG; see {@code net.LengthPrefixedFramingVerification} for the lint warning.
 */
@SuppressWarnings("exports")
public class FileWriteSubscriberVerification extends SubscriberBlackboxVerification<ByteBuffer> {
    private final AtomicInteger files = new AtomicInteger();
    private final java.util.List<Signals<Long>> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Loop loop;
    private Path dir;

    public FileWriteSubscriberVerification() {
        super(new TestEnvironment(1000));
    }

    @BeforeClass
    public void start() throws IOException {
        loop = Loop.create("tck-file-write");
        dir = Files.createTempDirectory("tck-file-write");
    }

    /** A test may leave its write unfinished: cancel it, which closes its file. */
    @AfterMethod
    public void cancelWrites() throws Exception {
        for (Signals<Long> write : writes) {
            write.cancel();
        }
        writes.clear();
    }

    @AfterClass
    public void stop() throws Exception {
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public Subscriber<ByteBuffer> createSubscriber() {
        try {
            CompletableFuture<Subscriber<? super ByteBuffer>> captured = new CompletableFuture<>();
            Path file = dir.resolve("out-" + files.incrementAndGet());
            Signals<Long> count = Signals.requesting(loop, 1);
            writes.add(count);
            FileIo.write(loop, file, captured::complete).subscribe(count);
            return (Subscriber<ByteBuffer>) captured.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a write", e);
        }
    }

    @Override
    public ByteBuffer createElement(int element) {
        return ByteBuffer.wrap(("element " + element + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}

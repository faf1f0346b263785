package dev.loopflux.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.file.ReadOptions;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

@Timeout(60)
class LoopFilesTest {
    @TempDir
    Path dir;
    private final Loop loop = Loop.create("loop-files-test");

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully().get(10, TimeUnit.SECONDS);
    }

    @Test
    void readsOnTheSubscribingLoop() throws Exception {
        byte[] data = new byte[200_000];
        new Random(1).nextBytes(data);
        Path file = Files.write(dir.resolve("in.bin"), data);
        List<String> threads = new CopyOnWriteArrayList<>();

        Mono<byte[]> content = LoopFiles.read(file, ReadOptions.builder().chunkSize(4096).build())
                .doOnNext(b -> threads.add(Thread.currentThread().getName()))
                .reduce(new java.io.ByteArrayOutputStream(), (out, b) -> {
                    byte[] a = new byte[b.remaining()];
                    b.get(a);
                    out.write(a, 0, a.length);
                    return out;
                })
                .map(java.io.ByteArrayOutputStream::toByteArray)
                .subscribeOn(LoopSchedulers.from(loop));

        StepVerifier.create(content).assertNext(bytes -> assertThat(bytes).isEqualTo(data)).verifyComplete();
        assertThat(threads).hasSize(49).containsOnly("loop-files-test");
    }

    @Test
    void withoutALoopTheReadFailsSayingSo() {
        StepVerifier.create(LoopFiles.read(dir.resolve("x")))
                .verifyErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("not a loop thread"));
    }

    @Test
    void writesAndCounts() throws Exception {
        Path file = dir.resolve("out.txt");
        Flux<ByteBuffer> data = Flux.range(0, 100).map(i -> ByteBuffer.wrap(("line " + i + "\n").getBytes()));

        StepVerifier.create(LoopFiles.write(loop, file, data, dev.loopflux.core.file.WriteOptions.defaults()))
                .expectNext(790L)
                .verifyComplete();
        assertThat(Files.readAllLines(file)).hasSize(100).startsWith("line 0").endsWith("line 99");
    }

    @Test
    void offloadOnABlockingPoolComesBackOnTheLoop() {
        dev.loopflux.core.BlockingPool pool = dev.loopflux.core.BlockingPool.create(1, 10);
        try {
            List<String> threads = new CopyOnWriteArrayList<>();
            Mono<String> onLoop = Offload.blocking(() -> Thread.currentThread().getName(), pool)
                    .doOnNext(v -> threads.add(Thread.currentThread().getName()))
                    .subscribeOn(LoopSchedulers.from(loop));
            StepVerifier.create(onLoop).assertNext(worker -> assertThat(worker).startsWith("loopflux-offload-")).verifyComplete();
            assertThat(threads).containsExactly("loop-files-test");

            StepVerifier.create(Offload.blocking(() -> Thread.currentThread().getName(), pool))
                    .assertNext(worker -> assertThat(worker).startsWith("loopflux-offload-"))
                    .verifyComplete();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void sendFileSendsTheWholeFile() throws Exception {
        byte[] data = new byte[3_000_000];
        new Random(2).nextBytes(data);
        Path file = Files.write(dir.resolve("page.bin"), data);
        LoopGroup group = LoopGroup.create("send-file", 1);
        DisposableServer server = TcpServer.create().host("127.0.0.1").port(0).runOn(group)
                .handle((in, out) -> out.sendFile(file))
                .bindNow();
        try (Socket socket = new Socket()) {
            socket.connect(server.address(), 10_000);
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(data);
        } finally {
            server.disposeGracefully(Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
            group.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
    }
}

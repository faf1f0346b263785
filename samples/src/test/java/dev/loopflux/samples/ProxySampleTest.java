package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ProxySampleTest {

    @Test
    void fourMebibytesGoThroughTheProxyToAnEchoAndBackIntactAndEndOfStreamPassesThrough() throws Exception {
        byte[] data = new byte[4 << 20];
        new Random(9).nextBytes(data);
        try (ReactorEcho echo = new ReactorEcho("127.0.0.1", 0, 2);
             ProxySample proxy = new ProxySample("127.0.0.1", 0, 2, "127.0.0.1", echo.server().port());
             Socket socket = new Socket("127.0.0.1", proxy.server().port())) {
            socket.setSoTimeout(10_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < data.length; i += 100_000) {
                        out.write(data, i, Math.min(100_000, data.length - i));
                    }
                    socket.shutdownOutput(); // through the proxy to the echo, whose end comes back
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            InputStream in = socket.getInputStream();
            byte[] back = in.readAllBytes(); // to the end of stream: the half-close went both ways
            writer.get(10, TimeUnit.SECONDS);
            assertThat(back.length).isEqualTo(data.length);
            assertThat(back).isEqualTo(data);
        }
    }

    @Test
    void aTargetThatAnswersAndClosesEndsTheClientsStreamThoughTheClientStillSends() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = target.accept()) {
                    s.getOutputStream().write("hello, and goodbye\n".getBytes(StandardCharsets.US_ASCII));
                    s.shutdownOutput(); // the target is done sending; it still reads what comes
                    s.getInputStream().readAllBytes();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (ProxySample proxy = new ProxySample("127.0.0.1", 0, 1, "127.0.0.1", target.getLocalPort());
                 Socket socket = new Socket("127.0.0.1", proxy.server().port())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("still talking\n".getBytes(StandardCharsets.US_ASCII)); // no half-close
                assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                        .isEqualTo("hello, and goodbye\n"); // to the end of stream: the target's end came through
                socket.shutdownOutput();
                served.get(10, TimeUnit.SECONDS); // and the client's end reached the target
            }
        }
    }

    @Test
    void aRefusedTargetClosesTheClientsConnection() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort(); // nothing listens there once this is closed
        }
        try (ProxySample proxy = new ProxySample("127.0.0.1", 0, 1, "127.0.0.1", closedPort);
             Socket socket = new Socket("127.0.0.1", proxy.server().port())) {
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().read()).as("end of stream: the proxy closed the connection").isEqualTo(-1);
        }
    }

    @Test
    void withoutATargetItSaysHowToGiveOne() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"proxy", "--port", "0"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--to HOST:PORT is required").contains(ProxySample.USAGE);
    }
}

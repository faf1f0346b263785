package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CoreEchoTest {

    @Test
    void echoesWhatARealClientSendsAndHalfClosesAfterIt() throws Exception {
        try (CoreEcho echo = new CoreEcho("127.0.0.1", 0, 2);
             Socket socket = new Socket("127.0.0.1", echo.server().port())) {
            OutputStream out = socket.getOutputStream();
            byte[] message = "hello, loop\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            out.write(message);
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            byte[] back = in.readAllBytes(); // ends when the server half-closes after echoing all
            assertThat(back).isEqualTo(message);
        }
    }
}

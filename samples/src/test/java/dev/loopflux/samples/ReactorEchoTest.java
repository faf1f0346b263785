package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ReactorEchoTest {

    @Test
    void echoesWhatARealClientSends() throws Exception {
        try (ReactorEcho echo = new ReactorEcho("127.0.0.1", 0, 2);
             Socket socket = new Socket("127.0.0.1", echo.server().port())) {
            OutputStream out = socket.getOutputStream();
            byte[] message = "reactive echo\n".repeat(2000).getBytes(StandardCharsets.US_ASCII);
            out.write(message);
            InputStream in = socket.getInputStream();
            byte[] back = in.readNBytes(message.length);
            assertThat(back).isEqualTo(message);
        }
    }
}

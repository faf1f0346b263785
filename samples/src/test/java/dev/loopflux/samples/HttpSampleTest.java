package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class HttpSampleTest {
    private static final String GET_ROOT = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

    @TempDir
    Path temp;
    private Path www;
    private HttpSample http;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws IOException {
        www = Files.createDirectory(temp.resolve("www"));
        Files.writeString(www.resolve("hello.txt"), "file contents\n");
        Files.writeString(temp.resolve("secret.txt"), "do not serve\n");
        http = start("30s");
    }

    private HttpSample start(String idleTimeout) throws IOException {
        return new HttpSample(HttpSample.Settings.parse(new String[] {
                "--port", "0", "--loops", "2", "--dir", www.toString(), "--idle-timeout", idleTimeout}));
    }

    @AfterEach
    void stop() {
        http.close();
    }

    // ---- a raw HTTP/1.1 client, to see connections and bytes exactly --------------------------

    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private Socket connect(HttpSample server) throws IOException {
        Socket socket = new Socket("127.0.0.1", server.server().port());
        socket.setSoTimeout(10_000); // a hang fails the read, not the whole run
        return socket;
    }

    private static void write(Socket socket, String request) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads one response: its head up to the blank line, then {@code Content-Length} bytes. */
    private static Response read(InputStream in) throws IOException {
        return read(in, false);
    }

    /** Reads one response; to a HEAD request ({@code headOnly}), {@code Content-Length} comes with no body. */
    private static Response read(InputStream in, boolean headOnly) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("end of stream in a response head: " + head);
            }
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Response(status, headers, headOnly ? new byte[0] : in.readNBytes(length));
    }

    // ---- what a real client sees -----------------------------------------------------------

    @Test
    void getRootWithTheJdkClient() throws Exception {
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.server().port() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(HttpResponses.HELLO);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    }

    @Test
    void filesFromTheDirectoryWithTheJdkClient() throws Exception {
        byte[] big = new byte[300_000]; // several chunks
        new Random(7).nextBytes(big);
        Files.write(www.resolve("big.bin"), big);
        String base = "http://127.0.0.1:" + http.server().port() + "/files/";

        HttpResponse<String> small = client.send(HttpRequest.newBuilder(URI.create(base + "hello.txt")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<byte[]> large = client.send(HttpRequest.newBuilder(URI.create(base + "big.bin")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<String> missing = client.send(HttpRequest.newBuilder(URI.create(base + "nope.txt")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(small.statusCode()).isEqualTo(200);
        assertThat(small.body()).isEqualTo("file contents\n");
        assertThat(large.statusCode()).isEqualTo(200);
        assertThat(large.body()).isEqualTo(big);
        assertThat(large.headers().firstValue("content-type")).hasValue("application/octet-stream");
        assertThat(missing.statusCode()).isEqualTo(404);
    }

    @Test
    void keepAliveServesTwoRequestsOnOneConnection() throws Exception {
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            write(socket, GET_ROOT);
            Response first = read(in);
            write(socket, "HEAD / HTTP/1.1\r\nHost: test\r\n\r\n");
            Response second = read(in, true);
            write(socket, GET_ROOT);
            Response third = read(in);

            assertThat(first.status()).isEqualTo(200);
            assertThat(first.text()).isEqualTo(HttpResponses.HELLO);
            assertThat(first.headers()).doesNotContainKey("connection");
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.headers()).containsEntry("content-length", String.valueOf(HttpResponses.HELLO.length()));
            assertThat(third.text()).isEqualTo(HttpResponses.HELLO); // so HEAD sent no body
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            write(socket, GET_ROOT
                    + "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /files/hello.txt HTTP/1.1\r\nHost: test\r\n\r\n"
                    + "GET /nope HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");

            assertThat(read(in).text()).isEqualTo(HttpResponses.HELLO);
            assertThat(read(in).text()).isEqualTo("hello");
            assertThat(read(in).text()).isEqualTo("file contents\n");
            Response last = read(in);
            assertThat(last.status()).isEqualTo(404);
            assertThat(last.headers()).containsEntry("connection", "close");
            assertThat(in.read()).as("end of stream after Connection: close").isEqualTo(-1);
        }
    }

    @Test
    void expectContinueGetsAnInterimAnswerBeforeTheBodyIsSent() throws Exception {
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            write(socket, "POST /echo HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
            assertThat(read(in).status()).isEqualTo(100);

            write(socket, "body");
            Response response = read(in);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("body");
        }
    }

    @Test
    void pipelinedRequestsSentOneByteAtATime() throws Exception {
        String requests = "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc" + GET_ROOT;
        try (Socket socket = connect(http)) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (byte b : requests.getBytes(StandardCharsets.ISO_8859_1)) {
                out.write(b);
                out.flush();
            }

            assertThat(read(in).text()).isEqualTo("abc");
            assertThat(read(in).text()).isEqualTo(HttpResponses.HELLO);
        }
    }

    // ---- bad input -------------------------------------------------------------------------

    @Test
    void malformedRequestLineIs400AndCloses() throws Exception {
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            write(socket, "GARBAGE\r\n\r\n" + GET_ROOT);

            Response response = read(in);
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.headers()).containsEntry("connection", "close");
            assertThat(response.text()).contains("malformed request line");
            assertThat(in.read()).as("nothing after the 400, not even the valid request").isEqualTo(-1);
        }
    }

    @Test
    void headOver8KiBIs431AndCloses() throws Exception {
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            write(socket, "GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n");

            Response response = read(in);
            assertThat(response.status()).isEqualTo(431);
            assertThat(response.text()).contains("request head over 8192 bytes");
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void bodyOverTheLimitIs413BeforeItIsSent() throws Exception {
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            write(socket, "POST /echo HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n");

            Response response = read(in);
            assertThat(response.status()).isEqualTo(413);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void unsupportedMethodIs405AndTheConnectionGoesOn() throws Exception {
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            write(socket, "DELETE / HTTP/1.1\r\nHost: test\r\n\r\n" + "GET /echo HTTP/1.1\r\nHost: test\r\n\r\n" + GET_ROOT);

            Response delete = read(in);
            assertThat(delete.status()).isEqualTo(405);
            assertThat(delete.headers()).containsEntry("allow", "GET, HEAD").doesNotContainKey("connection");
            Response getEcho = read(in);
            assertThat(getEcho.status()).isEqualTo(405);
            assertThat(getEcho.headers()).containsEntry("allow", "POST");
            assertThat(read(in).status()).isEqualTo(200);
        }
    }

    @Test
    void pathTraversalFindsNothing() throws Exception {
        Path link = www.resolve("link.txt");
        Files.createSymbolicLink(link, temp.resolve("secret.txt"));
        List<String> targets = List.of("/files/../secret.txt", "/files/..%2fsecret.txt", "/files/%2e%2e%2Fsecret.txt",
                "/files/%2E%2E/secret.txt", "/files/..%5csecret.txt", "/files/..", "/files/%2e%2e", "/files/",
                "/files/link.txt", "/%2e%2e/secret.txt", "/files/hello.txt%00.png");
        try (Socket socket = connect(http)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            for (String target : targets) {
                write(socket, "GET " + target + " HTTP/1.1\r\nHost: test\r\n\r\n");
                Response response = read(in);
                assertThat(response.status()).as(target).isEqualTo(404);
                assertThat(response.text()).as(target).doesNotContain("do not serve");
            }
            write(socket, "GET /files/%zz HTTP/1.1\r\nHost: test\r\n\r\n");
            assertThat(read(in).status()).as("a bad escape").isEqualTo(400);
            write(socket, "GET /files/hello.txt HTTP/1.1\r\nHost: test\r\n\r\n");
            assertThat(read(in).text()).as("the connection still serves").isEqualTo("file contents\n");
        }
    }

    @Test
    void idleClientsAreClosedAfterTheTimeout() throws Exception {
        try (HttpSample quick = start("300ms");
             Socket silent = connect(quick);
             Socket done = connect(quick)) {
            long start = System.nanoTime();
            InputStream doneIn = new BufferedInputStream(done.getInputStream());
            write(done, GET_ROOT);
            assertThat(read(doneIn).status()).isEqualTo(200);

            assertThat(silent.getInputStream().read()).as("a client that never sent a byte").isEqualTo(-1);
            assertThat(doneIn.read()).as("an idle keep-alive connection").isEqualTo(-1);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(250_000_000L);
        }
    }

    @Test
    void badOptionsPrintTheUsage() throws Exception {
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"http", "--idle-timeout", "soon"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(errors, true, StandardCharsets.UTF_8));

        assertThat(status).isEqualTo(2);
        assertThat(errors.toString(StandardCharsets.UTF_8))
                .contains("--idle-timeout needs a positive duration such as 500ms, 30s or 2m, not 'soon'")
                .contains("usage: http");
    }
}

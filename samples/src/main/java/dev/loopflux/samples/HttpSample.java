package dev.loopflux.samples;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.reactor.DisposableServer;
import dev.loopflux.reactor.TcpInbound;
import dev.loopflux.reactor.TcpOutbound;
import dev.loopflux.reactor.TcpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.reactivestreams.Publisher;

/**
 * A minimal HTTP/1.1 server on the Reactor API: keep-alive, pipelining, {@code Content-Length}
 * bodies, a text at {@code /}, an echo at {@code /echo} and files at {@code /files/NAME}.
 *
 * <p>The whole protocol is one pipeline per connection, every signal of it on the connection's
 * loop thread:
 *
 * <pre>{@code
 * in.receive()                                     // chunks, read only while asked for
 *   .flatMapIterable(decoder::decode, 1)           // -> requests, one chunk at a time
 *   .concatMap(e -> router.respond(e, out), 1)     // one answer at a time, in request order
 * }</pre>
 *
 * <p>Why raw chunks and not {@code receiveLines()} for the head: a connection's bytes go to one
 * reader, and with pipelining the bytes after a head may be a body or the next request, so one
 * decoder that sees every byte is the simple correct choice.
 *
 * <p>Memory per connection is bounded: a chunk or two between the socket and the decoder (each at
 * most the read buffer size), one head (at most {@link Settings#maxHeadBytes}), one body (at most
 * {@link Settings#maxBodyBytes}), the requests decoded from one chunk, and one answer in flight (a
 * file goes out by zero-copy sendfile, as the socket takes it).
 *
 * <p>Timeouts: a connection with nothing read nor written for {@link Settings#idleTimeout} is
 * closed by the server (an idle keep-alive, a peer that stopped mid-request, a peer that does not
 * read its answer); a request that takes longer than {@link Settings#requestTimeout} to arrive
 * gets a 408 as its next bytes arrive.
 */
final class HttpSample implements AutoCloseable {
    static final String USAGE = "usage: http [--port N (default 8080)] [--host H (default 127.0.0.1)] [--loops N]"
            + " [--dir DIR (serves GET /files/NAME)] [--idle-timeout D (default 30s)] [--request-timeout D (default 10s)]"
            + "  (D: 500ms, 30s, 2m)";

    /**
     * Everything the server can be told.
     *
     * @param dir the directory {@code /files/} serves, or null for none
     * @param maxHeadBytes longest request head (request line and headers); more is a 431
     * @param maxBodyBytes longest request body; more is a 413
     */
    record Settings(String host, int port, int loops, Path dir, Duration idleTimeout, Duration requestTimeout,
            int maxHeadBytes, int maxBodyBytes) {

        static Settings parse(String[] args) {
            String host = "127.0.0.1";
            int port = 8080;
            int loops = Runtime.getRuntime().availableProcessors();
            Path dir = null;
            Duration idle = Duration.ofSeconds(30);
            Duration request = Duration.ofSeconds(10);
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + args[i]);
                }
                String value = args[i + 1];
                switch (args[i]) {
                    case "--host" -> host = value;
                    case "--port" -> port = number("--port", value, 0, 65535);
                    case "--loops" -> loops = number("--loops", value, 1, 1024);
                    case "--dir" -> dir = Path.of(value);
                    case "--idle-timeout" -> idle = duration("--idle-timeout", value);
                    case "--request-timeout" -> request = duration("--request-timeout", value);
                    default -> throw new IllegalArgumentException("unknown option: " + args[i]);
                }
            }
            return new Settings(host, port, loops, dir, idle, request, 8 * 1024, 1024 * 1024);
        }

        private static int number(String option, String value, int min, int max) {
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below, with the range
            }
            throw new IllegalArgumentException(option + " needs a number in [" + min + ", " + max + "], not '" + value + "'");
        }

        /** {@code 500ms}, {@code 30s}, {@code 2m}: a positive whole number and a unit. */
        static Duration duration(String option, String value) {
            try {
                if (value.endsWith("ms")) {
                    return positive(Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2))));
                } else if (value.endsWith("s")) {
                    return positive(Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1))));
                } else if (value.endsWith("m")) {
                    return positive(Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1))));
                }
            } catch (IllegalArgumentException ignored) {
                // NumberFormatException or not positive: reported below
            }
            throw new IllegalArgumentException(option + " needs a positive duration such as 500ms, 30s or 2m, not '" + value + "'");
        }

        private static Duration positive(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("not positive: " + d);
            }
            return d;
        }
    }

    private final Settings settings;
    private final HttpRouter router;
    private final LoopGroup group;
    private final DisposableServer server;

    HttpSample(Settings settings) throws IOException {
        this.settings = settings;
        this.router = new HttpRouter(new HttpFiles(settings.dir()));
        group = LoopGroup.create(LoopOptions.builder().name("http").loops(settings.loops()).build());
        try {
            server = TcpServer.create()
                    .host(settings.host())
                    .port(settings.port())
                    .runOn(group)
                    .idleTimeout(settings.idleTimeout())
                    .handle(this::serve)
                    .bindNow();
        } catch (RuntimeException e) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(1));
            throw e;
        }
    }

    DisposableServer server() {
        return server;
    }

    /** One connection, on its loop thread: decode, answer in order, end when the peer's input ends. */
    private Publisher<Void> serve(TcpInbound in, TcpOutbound out) {
        HttpRequestDecoder decoder = new HttpRequestDecoder(settings.maxHeadBytes(), settings.maxBodyBytes(),
                settings.requestTimeout().toNanos(), System::nanoTime);
        // Prefetch 1 on both: the socket is read a chunk ahead at most, and a request is answered only
        // once the answer before it has been handed to the kernel. That is the memory bound.
        return in.receive()
                .flatMapIterable(decoder::decode, 1)
                .concatMap(event -> router.respond(event, out), 1)
                .then();
    }

    /** The {@code http} command: parses {@code args}, serves until the process is stopped; the exit status. */
    static int command(String[] args, PrintStream out, PrintStream err) throws IOException {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        HttpSample http = new HttpSample(settings);
        InetSocketAddress bound = (InetSocketAddress) http.server.address();
        out.println("http listening on " + bound.getHostString() + ":" + bound.getPort());
        out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(http::close, "http-shutdown"));
        http.group.terminationFuture().join();
        return 0;
    }

    /** Stops accepting, gives open connections a second to finish, stops the loops. */
    @Override
    public void close() {
        try {
            server.disposeNow(Duration.ofSeconds(1));
        } catch (IllegalStateException e) {
            // Connections still open after the grace period: the loops' shutdown closes them.
        }
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }
}

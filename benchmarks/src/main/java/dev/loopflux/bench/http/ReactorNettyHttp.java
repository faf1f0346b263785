package dev.loopflux.bench.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * The peer of the {@code http} sample in {@code benchmarks/http-bench.sh}: Reactor Netty's
 * HttpServer answering {@code GET /} with the same text and the same two headers
 * ({@code Content-Type}, {@code Content-Length}), on NIO (not native epoll, as Loopflux uses NIO)
 * with {@code --loops} worker loops and one accepting loop.
 *
 * <p>{@code java -cp loopflux-benchmarks.jar dev.loopflux.bench.http.ReactorNettyHttp [--port N] [--loops N]};
 * prints {@code http listening on 127.0.0.1:PORT} when ready, stops on Ctrl-C or SIGTERM.
 */
public final class ReactorNettyHttp {
    /** The sample's {@code HttpResponses.HELLO}, byte for byte. */
    static final byte[] HELLO = "Hello from Loopflux\n".getBytes(StandardCharsets.US_ASCII);

    private ReactorNettyHttp() {
    }

    public static void main(String[] args) {
        int port = 0;
        int loops = 1;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--loops" -> loops = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--port, --loops)");
            }
        }
        LoopResources resources = LoopResources.create("rn-http", 1, loops, true, false);
        DisposableServer server = HttpServer.create()
                .host("127.0.0.1")
                .port(port)
                .runOn(resources, false)
                .route(routes -> routes.get("/", (request, response) -> response
                        .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                        .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(HELLO.length))
                        .sendByteArray(Mono.just(HELLO))))
                .bindNow();
        System.out.println("http listening on 127.0.0.1:" + server.port());
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.disposeNow();
            resources.disposeLater().block();
        }, "rn-http-shutdown"));
        server.onDispose().block();
    }
}

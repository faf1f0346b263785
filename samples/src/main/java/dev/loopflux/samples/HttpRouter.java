package dev.loopflux.samples;

import dev.loopflux.reactor.Offload;
import dev.loopflux.reactor.TcpOutbound;
import java.nio.ByteBuffer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What the sample serves, one {@link HttpEvent} at a time:
 *
 * <ul>
 *   <li>{@code GET /} (and {@code HEAD /}): {@link HttpResponses#HELLO};</li>
 *   <li>{@code POST /echo}: the request's body back;</li>
 *   <li>{@code GET /files/NAME} (and {@code HEAD}): a file of the served directory (see {@link HttpFiles});</li>
 *   <li>another method on those paths: 405 with {@code Allow}; any other path: 404;</li>
 *   <li>a {@link HttpEvent.Rejected}: its status, then the output is shut down.</li>
 * </ul>
 *
 * <p>Each answer is one {@code send}; the connection writes sends in the order they are
 * subscribed, and the caller subscribes them one after the other, so answers go out in request
 * order. After the last answer of a connection (a rejection, {@code Connection: close}, or an
 * HTTP/1.0 request that did not ask to keep it) the output is shut down: the peer reads the end of
 * the stream, and the connection closes once the peer closes its side too (or times out idle).
 *
 * <p>Threading: called on the connection's loop thread; file lookups are offloaded and come back
 * to it.
 */
final class HttpRouter {
    private static final String FILES = "/files/";

    private final HttpFiles files;

    HttpRouter(HttpFiles files) {
        this.files = files;
    }

    /** Answers {@code event} on {@code out}; completes when the answer has been handed to the kernel. */
    Mono<Void> respond(HttpEvent event, TcpOutbound out) {
        if (event instanceof HttpEvent.Continue) {
            return send(out, HttpResponses.interimContinue());
        }
        if (event instanceof HttpEvent.Rejected rejected) {
            return send(out, HttpResponses.text(rejected.status(), rejected.detail() + "\n", "close", null, false))
                    .then(Mono.fromRunnable(out::shutdownOutput));
        }
        HttpEvent.Request request = (HttpEvent.Request) event;
        Mono<Void> sent = route(request, out);
        return request.keepAlive() ? sent : sent.then(Mono.fromRunnable(out::shutdownOutput));
    }

    private Mono<Void> route(HttpEvent.Request request, TcpOutbound out) {
        String path = request.path();
        String method = request.method();
        boolean headOnly = method.equals("HEAD");
        boolean get = headOnly || method.equals("GET");
        String connection = HttpResponses.connectionHeader(request);
        if (path.equals("/")) {
            if (!get) {
                return notAllowed(request, out, "GET, HEAD");
            }
            if (!headOnly && connection == null) {
                return send(out, HttpResponses.helloKeepAlive()); // the hot path: no formatting at all
            }
            return send(out, HttpResponses.text(200, HttpResponses.HELLO, connection, null, headOnly));
        }
        if (path.equals("/echo")) {
            if (!method.equals("POST")) {
                return notAllowed(request, out, "POST");
            }
            ByteBuffer body = request.body();
            return out.send(Flux.just(
                    HttpResponses.headBytes(200, "application/octet-stream", body.remaining(), connection, null), body));
        }
        if (path.startsWith(FILES)) {
            if (!get) {
                return notAllowed(request, out, "GET, HEAD");
            }
            String name;
            try {
                name = HttpFiles.percentDecode(path.substring(FILES.length()));
            } catch (IllegalArgumentException e) {
                return send(out, HttpResponses.text(400, "bad percent-encoding in the path\n", connection, null, headOnly));
            }
            // The head, then the body by zero-copy sendfile (FileChannel.transferTo into the socket),
            // queued in that order on the connection.
            return Offload.blocking(() -> files.find(name)).flatMap(found -> found
                    .map(file -> send(out, HttpResponses.headBytes(200, HttpResponses.contentType(name), file.size(), connection, null))
                            .then(headOnly ? Mono.<Void>empty() : out.sendFile(file.path(), 0, file.size())))
                    .orElseGet(() -> notFound(request, out)));
        }
        return notFound(request, out);
    }

    private static Mono<Void> notFound(HttpEvent.Request request, TcpOutbound out) {
        return send(out, HttpResponses.text(404, "not found\n", HttpResponses.connectionHeader(request), null,
                request.method().equals("HEAD")));
    }

    private static Mono<Void> notAllowed(HttpEvent.Request request, TcpOutbound out, String allow) {
        return send(out, HttpResponses.text(405, request.method() + " not allowed here\n",
                HttpResponses.connectionHeader(request), "Allow: " + allow + "\r\n", request.method().equals("HEAD")));
    }

    private static Mono<Void> send(TcpOutbound out, ByteBuffer bytes) {
        return out.send(Mono.just(bytes));
    }
}

package dev.loopflux.samples;

import java.nio.ByteBuffer;

/**
 * What {@link HttpRequestDecoder} makes of a connection's bytes, in the order they must be
 * answered: complete requests, a rejection that ends the connection, or an {@code Expect:
 * 100-continue} that asks for an interim response before its body is sent.
 */
sealed interface HttpEvent {

    /**
     * A complete, well-formed request.
     *
     * @param method the method token, case-sensitive as HTTP says ({@code GET}, not {@code get})
     * @param target the request target in origin form ({@code /path?query}), still percent-encoded
     * @param http10 true for an HTTP/1.0 request (it keeps the connection only when it asked to)
     * @param keepAlive true if the connection stays open after the response
     * @param body the request's body (empty without {@code Content-Length}), owned by the receiver
     */
    record Request(String method, String target, boolean http10, boolean keepAlive, ByteBuffer body)
            implements HttpEvent {

        /** The target without its query. */
        String path() {
            int query = target.indexOf('?');
            return query < 0 ? target : target.substring(0, query);
        }
    }

    /**
     * Input the server will not serve: answer {@code status} and close. The decoder reads (and
     * discards) what follows, so the close does not reset the response away.
     *
     * @param status the response status (400, 408, 413, 431, 501, 505)
     * @param detail what was wrong, for the response body
     */
    record Rejected(int status, String detail) implements HttpEvent {
    }

    /** The request just parsed sent {@code Expect: 100-continue}: say {@code 100 Continue} now. */
    record Continue() implements HttpEvent {
        static final Continue INSTANCE = new Continue();
    }
}

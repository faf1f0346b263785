package dev.loopflux.samples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Cuts one connection's bytes into HTTP/1.1 requests, incrementally: each {@link #decode} call
 * takes the next chunk, in any size down to one byte, and returns the events it completed, in
 * order. Several pipelined requests in one chunk give several events; a request split over
 * chunks gives its event with the chunk that ends it.
 *
 * <p>Bounded memory: the head being read (at most {@code maxHeadBytes}, copied once) and the body
 * being read (at most {@code maxBodyBytes}, as its {@code Content-Length} says). Nothing else is
 * kept between chunks.
 *
 * <p>Bad input gives one {@link HttpEvent.Rejected} and then the decoder only discards: the
 * connection is to be answered and closed. Discarding instead of closing at once lets the peer
 * read that answer (closing a socket with unread input makes the kernel send a reset, and the
 * peer may lose the answer); it stops after {@link #MAX_DRAIN_BYTES}.
 *
 * <p>Slow peers: a request must be complete within {@code requestTimeout} of its first byte,
 * which is checked as each chunk arrives; one that trickles in gets a 408. A peer that sends
 * nothing at all is the connection's idle timeout's job.
 *
 * <p>Threading: one connection's loop thread; not thread-safe.
 */
final class HttpRequestDecoder {
    /**
     * Bytes read and discarded after a rejection before giving up on the peer. Enough for the
     * rest of a head or small body the peer had already sent; a peer that goes on past it is not
     * reading our answer anyway.
     */
    static final int MAX_DRAIN_BYTES = 64 * 1024;

    private enum State { HEAD, BODY, DRAIN }

    private final int maxBodyBytes;
    private final long requestTimeoutNanos;
    private final LongSupplier nanoClock;
    /** The head being read; {@link #headLength} bytes of it are used. */
    private final byte[] head;
    private int headLength;
    private State state = State.HEAD;
    /** A byte of the current request has arrived, at {@link #requestStart}. */
    private boolean inRequest;
    private long requestStart;
    /** In {@link State#BODY}: the request whose body {@link #body} is being filled. */
    private HttpEvent.Request bodyOf;
    private ByteBuffer body;
    /** In {@link State#DRAIN}: bytes discarded so far. */
    private long drained;

    /**
     * @param maxHeadBytes the longest head (request line, headers and the blank line); longer is 431
     * @param maxBodyBytes the longest body; a longer {@code Content-Length} is 413
     * @param requestTimeoutNanos how long a request may take to arrive, from its first byte; longer is 408
     * @param nanoClock the time, in nanoseconds
     */
    HttpRequestDecoder(int maxHeadBytes, int maxBodyBytes, long requestTimeoutNanos, LongSupplier nanoClock) {
        if (maxHeadBytes < 16) {
            throw new IllegalArgumentException("maxHeadBytes < 16: " + maxHeadBytes);
        }
        if (maxBodyBytes < 0) {
            throw new IllegalArgumentException("maxBodyBytes < 0: " + maxBodyBytes);
        }
        this.head = new byte[maxHeadBytes];
        this.maxBodyBytes = maxBodyBytes;
        this.requestTimeoutNanos = requestTimeoutNanos;
        this.nanoClock = nanoClock;
    }

    /**
     * Reads all of {@code chunk} and returns the events it completed (often none or one).
     *
     * @throws DrainLimitException when a rejected peer sent more than {@link #MAX_DRAIN_BYTES}
     */
    List<HttpEvent> decode(ByteBuffer chunk) {
        long now = nanoClock.getAsLong();
        List<HttpEvent> events = new ArrayList<>(2);
        while (chunk.hasRemaining() && state != State.DRAIN) {
            if (!inRequest) {
                inRequest = true;
                requestStart = now;
            }
            if (state == State.HEAD) {
                readHead(chunk, events);
            } else {
                readBody(chunk, events);
            }
        }
        if (state == State.DRAIN) {
            drained += chunk.remaining();
            chunk.position(chunk.limit());
            if (drained > MAX_DRAIN_BYTES) {
                throw new DrainLimitException("peer sent over " + MAX_DRAIN_BYTES + " bytes after its request was rejected");
            }
        } else if (inRequest && now - requestStart > requestTimeoutNanos) {
            reject(events, 408, "request not complete within " + requestTimeoutNanos / 1_000_000 + " ms");
        }
        return events;
    }

    private void readHead(ByteBuffer chunk, List<HttpEvent> events) {
        while (chunk.hasRemaining()) {
            byte b = chunk.get();
            if (headLength == 0 && (b == '\r' || b == '\n')) {
                continue; // RFC 9112 section 2.2: empty lines before a request line are ignored
            }
            if (headLength == head.length) {
                reject(events, 431, "request head over " + head.length + " bytes");
                return;
            }
            head[headLength++] = b;
            if (b == '\n' && endsHead()) {
                parseHead(events);
                return;
            }
        }
    }

    /** The last byte stored is a {@code '\n'}: does it end the head (an empty line)? */
    private boolean endsHead() {
        int n = headLength;
        return n >= 2 && head[n - 2] == '\n' || n >= 3 && head[n - 2] == '\r' && head[n - 3] == '\n';
    }

    private void readBody(ByteBuffer chunk, List<HttpEvent> events) {
        int n = Math.min(chunk.remaining(), body.remaining());
        body.put(chunk.slice(chunk.position(), n));
        chunk.position(chunk.position() + n);
        if (!body.hasRemaining()) {
            HttpEvent.Request r = bodyOf;
            complete(events, new HttpEvent.Request(r.method(), r.target(), r.http10(), r.keepAlive(), body.flip()));
        }
    }

    private void complete(List<HttpEvent> events, HttpEvent.Request request) {
        events.add(request);
        inRequest = false;
        bodyOf = null;
        body = null;
        state = request.keepAlive() ? State.HEAD : State.DRAIN; // nothing after a last request is answered
    }

    private void reject(List<HttpEvent> events, int status, String detail) {
        events.add(new HttpEvent.Rejected(status, detail));
        state = State.DRAIN;
        headLength = 0;
        body = null;
        bodyOf = null;
    }

    /** The head is complete in {@link #head}: check it, then emit the request or start its body. */
    private void parseHead(List<HttpEvent> events) {
        // ISO-8859-1 maps bytes to chars one to one: nothing is lost, non-ASCII is rejected below.
        String text = new String(head, 0, headLength, StandardCharsets.ISO_8859_1);
        headLength = 0;
        int end = text.indexOf('\n');
        String requestLine = stripCr(text.substring(0, end));
        int sp1 = requestLine.indexOf(' ');
        int sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0) {
            reject(events, 400, "malformed request line");
            return;
        }
        String method = requestLine.substring(0, sp1);
        String target = requestLine.substring(sp1 + 1, sp2);
        String version = requestLine.substring(sp2 + 1);
        if (!isToken(method) || target.isEmpty() || target.charAt(0) != '/' || !isVisibleAscii(target)) {
            reject(events, 400, "malformed request line");
            return;
        }
        boolean http10 = version.equals("HTTP/1.0");
        if (!http10 && !version.equals("HTTP/1.1")) {
            boolean wellFormed = version.length() == 8 && version.startsWith("HTTP/") && Character.isDigit(version.charAt(5))
                    && version.charAt(6) == '.' && Character.isDigit(version.charAt(7));
            reject(events, wellFormed ? 505 : 400, wellFormed ? "only HTTP/1.1 and HTTP/1.0 are served" : "malformed request line");
            return;
        }

        long contentLength = -1;
        int hosts = 0;
        boolean close = false;
        boolean keepAliveAsked = false;
        boolean expectContinue = false;
        int start = end + 1;
        while (start < text.length()) {
            end = text.indexOf('\n', start);
            String line = stripCr(text.substring(start, end));
            start = end + 1;
            if (line.isEmpty()) {
                break; // the blank line that ends the head
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.substring(0, colon))) {
                reject(events, 400, "malformed header line"); // also obsolete line folding, and space before ':'
                return;
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (name) {
                case "host" -> hosts++;
                case "content-length" -> {
                    long length = parseLength(value);
                    if (length < 0 || contentLength >= 0 && contentLength != length) {
                        reject(events, 400, "bad Content-Length");
                        return;
                    }
                    contentLength = length;
                }
                case "transfer-encoding" -> {
                    reject(events, 501, "Transfer-Encoding is not supported; send Content-Length");
                    return;
                }
                case "connection" -> {
                    for (String option : value.toLowerCase(Locale.ROOT).split(",")) {
                        close |= option.strip().equals("close");
                        keepAliveAsked |= option.strip().equals("keep-alive");
                    }
                }
                case "expect" -> expectContinue = value.equalsIgnoreCase("100-continue");
                default -> { }
            }
        }
        if (!http10 && hosts != 1) {
            reject(events, 400, hosts == 0 ? "no Host header" : "more than one Host header");
            return;
        }
        if (contentLength > maxBodyBytes) {
            reject(events, 413, "body of " + contentLength + " bytes; at most " + maxBodyBytes);
            return;
        }
        boolean keepAlive = http10 ? keepAliveAsked && !close : !close;
        HttpEvent.Request request = new HttpEvent.Request(method, target, http10, keepAlive, ByteBuffer.allocate(0));
        if (contentLength <= 0) {
            complete(events, request);
            return;
        }
        if (expectContinue && !http10) {
            events.add(HttpEvent.Continue.INSTANCE);
        }
        bodyOf = request;
        body = ByteBuffer.allocate((int) contentLength);
        state = State.BODY;
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /** Digits only (no sign, no spaces), at most 18 of them; else -1. */
    private static long parseLength(String value) {
        if (value.isEmpty() || value.length() > 18) {
            return -1;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(value);
    }

    /** An RFC 9110 token: one or more of the visible ASCII characters that are not delimiters. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isVisibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) <= ' ' || s.charAt(i) >= 0x7F) {
                return false;
            }
        }
        return true;
    }

    /** A rejected peer kept sending: give up on it (the connection closes). */
    static final class DrainLimitException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DrainLimitException(String message) {
            super(message);
        }
    }
}

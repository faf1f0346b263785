package dev.loopflux.samples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Response heads and small whole responses, as bytes ready to send. Every method returns a new
 * buffer (a send takes ownership of it); the shared arrays behind the constant responses are
 * only ever read. Safe from any thread.
 */
final class HttpResponses {
    /** What {@code GET /} answers. */
    static final String HELLO = "Hello from Loopflux\n";

    private static final byte[] HELLO_KEEP_ALIVE = (head(200, "text/plain; charset=utf-8", HELLO.length(), null, null) + HELLO)
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private HttpResponses() {
    }

    /** The hello text with its head, on a connection that stays open and needs no header to say so. */
    static ByteBuffer helloKeepAlive() {
        return ByteBuffer.wrap(HELLO_KEEP_ALIVE);
    }

    static ByteBuffer interimContinue() {
        return ByteBuffer.wrap(CONTINUE);
    }

    /**
     * A head: status line, {@code Content-Type}, {@code Content-Length}, then {@code Connection}
     * when {@code connection} is not null and {@code extra} (whole header lines, each ending in
     * CRLF) when not null, then the blank line.
     */
    static String head(int status, String contentType, long contentLength, String connection, String extra) {
        StringBuilder head = new StringBuilder(128)
                .append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n")
                .append("Content-Length: ").append(contentLength).append("\r\n");
        if (connection != null) {
            head.append("Connection: ").append(connection).append("\r\n");
        }
        if (extra != null) {
            head.append(extra);
        }
        return head.append("\r\n").toString();
    }

    static ByteBuffer headBytes(int status, String contentType, long contentLength, String connection, String extra) {
        return ByteBuffer.wrap(head(status, contentType, contentLength, connection, extra).getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A whole text response: head, then {@code text} unless {@code headOnly} (a HEAD request). */
    static ByteBuffer text(int status, String text, String connection, String extra, boolean headOnly) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        String head = head(status, "text/plain; charset=utf-8", body.length, connection, extra);
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer all = ByteBuffer.allocate(headBytes.length + (headOnly ? 0 : body.length)).put(headBytes);
        if (!headOnly) {
            all.put(body);
        }
        return all.flip();
    }

    /** The {@code Connection} header a response to {@code request} needs, or null for none. */
    static String connectionHeader(HttpEvent.Request request) {
        if (!request.keepAlive()) {
            return "close";
        }
        return request.http10() ? "keep-alive" : null; // HTTP/1.1 keeps connections by default
    }

    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }

    /** A content type from a file name's extension; {@code application/octet-stream} when unknown. */
    static String contentType(String fileName) {
        String lower = fileName.toLowerCase(java.util.Locale.ROOT);
        int dot = lower.lastIndexOf('.');
        String extension = dot < 0 ? "" : lower.substring(dot + 1);
        return switch (extension) {
            case "txt", "md" -> "text/plain; charset=utf-8";
            case "html", "htm" -> "text/html; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "js" -> "text/javascript; charset=utf-8";
            case "json" -> "application/json";
            case "png" -> "image/png";
            case "jpg", "jpeg" -> "image/jpeg";
            case "svg" -> "image/svg+xml";
            default -> "application/octet-stream";
        };
    }
}

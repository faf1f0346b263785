package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class HttpRequestDecoderTest {
    private final AtomicLong clock = new AtomicLong();
    private final HttpRequestDecoder decoder = new HttpRequestDecoder(256, 1024, TimeUnit.SECONDS.toNanos(10), clock::get);

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private List<HttpEvent> decode(String s) {
        return decoder.decode(bytes(s));
    }

    private static String body(HttpEvent event) {
        return StandardCharsets.ISO_8859_1.decode(((HttpEvent.Request) event).body().duplicate()).toString();
    }

    private static final String PIPELINED = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
            + "\r\nGET /x?y HTTP/1.1\nHost: a\nConnection: close\n\n";

    @Test
    void pipelinedRequestsInOneChunkComeOutInOrder() {
        List<HttpEvent> events = decode(PIPELINED);

        assertThat(events).hasSize(3);
        assertThat(events.get(0)).isEqualTo(new HttpEvent.Request("GET", "/", false, true, ByteBuffer.allocate(0)));
        assertThat(((HttpEvent.Request) events.get(1)).target()).isEqualTo("/echo");
        assertThat(body(events.get(1))).isEqualTo("hello");
        HttpEvent.Request last = (HttpEvent.Request) events.get(2);
        assertThat(last.path()).isEqualTo("/x");
        assertThat(last.keepAlive()).isFalse();
    }

    @Test
    void oneByteAtATimeGivesTheSameRequests() {
        List<HttpEvent> events = new ArrayList<>();
        ByteBuffer all = bytes(PIPELINED);
        while (all.hasRemaining()) {
            events.addAll(decoder.decode(all.slice(all.position(), 1)));
            all.position(all.position() + 1);
        }

        assertThat(events).hasSize(3).allMatch(e -> e instanceof HttpEvent.Request);
        assertThat(body(events.get(1))).isEqualTo("hello");
    }

    @Test
    void bytesAfterALastRequestAreDiscarded() {
        assertThat(decode("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")).hasSize(1);
        assertThat(decode("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).isEmpty();
    }

    @Test
    void http10KeepsTheConnectionOnlyWhenAsked() {
        assertThat(((HttpEvent.Request) decode("GET / HTTP/1.0\r\n\r\n").get(0)).keepAlive()).isFalse();
        HttpRequestDecoder other = new HttpRequestDecoder(256, 1024, 1, clock::get);
        HttpEvent.Request request = (HttpEvent.Request) other.decode(bytes("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).get(0);
        assertThat(request.keepAlive()).isTrue();
        assertThat(request.http10()).isTrue();
    }

    @Test
    void expectContinueComesBeforeTheBody() {
        assertThat(decode("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"))
                .containsExactly(HttpEvent.Continue.INSTANCE);
        assertThat(decode("ok")).singleElement().satisfies(e -> assertThat(body(e)).isEqualTo("ok"));
    }

    @Test
    void badRequestLinesAre400() {
        for (String bad : List.of("GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.1 extra\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET / HTTX/1.1\r\n\r\n")) {
            HttpRequestDecoder fresh = new HttpRequestDecoder(256, 1024, 1_000_000_000L, clock::get);
            assertThat(fresh.decode(bytes(bad))).as(bad).containsExactly(new HttpEvent.Rejected(400, "malformed request line"));
        }
    }

    @Test
    void badHeadersAre400() {
        assertThat(rejection("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n")).isEqualTo(400);
        assertThat(rejection("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")).isEqualTo(400);
        assertThat(rejection("GET / HTTP/1.1\r\n\r\n")).isEqualTo(400); // no Host
        assertThat(rejection("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")).isEqualTo(400);
        assertThat(rejection("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n")).isEqualTo(400);
        assertThat(rejection("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")).isEqualTo(400);
    }

    @Test
    void otherLimitsAndUnsupportedFraming() {
        assertThat(rejection("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n")).isEqualTo(413);
        assertThat(rejection("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")).isEqualTo(501);
        assertThat(rejection("GET / HTTP/2.0\r\nHost: a\r\n\r\n")).isEqualTo(505);
    }

    @Test
    void aHeadOverTheLimitIs431AsSoonAsItIsOver() {
        String head = "GET / HTTP/1.1\r\nHost: a\r\nX: " + "a".repeat(256);
        List<HttpEvent> events = decode(head.substring(0, 256));
        assertThat(events).isEmpty();
        assertThat(decode("a")).containsExactly(new HttpEvent.Rejected(431, "request head over 256 bytes"));
    }

    @Test
    void aHeadOfExactlyTheLimitIsServed() {
        String start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
        String head = start + "a".repeat(256 - start.length() - 4) + "\r\n\r\n";
        assertThat(head).hasSize(256);
        assertThat(decode(head)).singleElement().isInstanceOf(HttpEvent.Request.class);
    }

    @Test
    void aRequestThatTricklesInIs408() {
        assertThat(decode("GET / HT")).isEmpty();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(9));
        assertThat(decode("TP/1.1\r\n")).isEmpty();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertThat(decode("Ho")).containsExactly(new HttpEvent.Rejected(408, "request not complete within 10000 ms"));
    }

    @Test
    void theRequestClockStartsAtEachRequestsFirstByte() {
        assertThat(decode("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).hasSize(1);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(60)); // an idle keep-alive is not a slow request
        assertThat(decode("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).hasSize(1);
    }

    @Test
    void aRejectedPeerMaySendALittleMoreButNotMuch() {
        assertThat(decode("BAD\r\n\r\n")).containsExactly(new HttpEvent.Rejected(400, "malformed request line"));
        assertThat(decoder.decode(ByteBuffer.allocate(HttpRequestDecoder.MAX_DRAIN_BYTES))).isEmpty();
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.allocate(1)))
                .isInstanceOf(HttpRequestDecoder.DrainLimitException.class)
                .hasMessageContaining("after its request was rejected");
    }

    /** The status a fresh decoder rejects {@code input} with. */
    private int rejection(String input) {
        List<HttpEvent> events = new HttpRequestDecoder(256, 1024, TimeUnit.SECONDS.toNanos(10), clock::get).decode(bytes(input));
        assertThat(events).as(input).singleElement().isInstanceOf(HttpEvent.Rejected.class);
        return ((HttpEvent.Rejected) events.get(0)).status();
    }
}

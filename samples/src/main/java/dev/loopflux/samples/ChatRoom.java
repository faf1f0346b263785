package dev.loopflux.samples;

import dev.loopflux.core.Loop;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import reactor.core.publisher.FluxSink;

/**
 * The chat's shared state: who is here, and what each member has not been sent yet. It lives on
 * one loop, the room's, and is touched on that loop's thread only, so it needs no lock: every
 * method here must be called on {@link #loop()} (connections on other loops hop there first, see
 * {@link ChatServer}).
 *
 * <h2>Slow clients: a bounded outbox per member, oldest lines dropped</h2>
 * A member's lines wait in its outbox until its connection asks for them (it asks for up to 32
 * at a time, and only while its unwritten bytes are under the write high-water mark). The outbox
 * holds at most {@code outboxLines} lines; when a line arrives for a full outbox, the
 * <em>oldest</em> line in it is dropped and counted. When the member reads again, it is told
 * how many lines it missed, just where they are missing
 * ({@code * 1234 lines dropped: you were reading too slowly}), then gets the most recent lines.
 * A client that never reads costs the server at most {@code outboxLines} lines, plus 32 lines on
 * their way to its connection, plus the write high-water mark (64 KiB by default), plus the
 * kernel's socket buffer, however much the others talk; and it never slows them down.
 */
final class ChatRoom {
    /** What the room has seen; for tests and for the curious. */
    record Stats(int members, long linesIn, long linesDropped) {
    }

    /** One client as the room sees it. Every field is touched on the room's loop only. */
    static final class Member {
        /** {@code user-N}, given on {@link #join}; null before. */
        private String name;
        /** Where this member's lines go once its connection subscribed; null before that and after {@link #leave}. */
        private FluxSink<String> sink;
        /** Lines not yet asked for by the connection, oldest first; never more than {@code outboxLines}. */
        private final ArrayDeque<String> outbox = new ArrayDeque<>();
        /** Lines dropped since the member was last told. */
        private long dropped;
        /** True once the member left: nothing is queued for it any more. */
        private boolean left;

        String name() {
            return name;
        }
    }

    private final Loop loop;
    private final int outboxLines;
    /** Everyone here, in the order they joined. */
    private final Set<Member> members = new LinkedHashSet<>();
    /** Members ever joined: the N of the next {@code user-N}. */
    private int joined;
    private long linesIn;
    private long linesDropped;
    /** Set by {@link #close}: each member is told, sent what it has waiting, then its lines end. */
    private boolean closing;

    ChatRoom(Loop loop, int outboxLines) {
        if (outboxLines < 1) {
            throw new IllegalArgumentException("outboxLines < 1: " + outboxLines);
        }
        this.loop = loop;
        this.outboxLines = outboxLines;
    }

    /** The loop that owns the room; every other method must run on it. */
    Loop loop() {
        return loop;
    }

    /** Names the member, welcomes it, and tells the others. */
    void join(Member member) {
        assert loop.inLoop() : "the room is touched off its loop";
        member.name = "user-" + (++joined);
        int others = members.size();
        members.add(member);
        queue(member, "* welcome, you are " + member.name + " (" + others + (others == 1 ? " other" : " others") + " here)");
        broadcast(member, "* " + member.name + " joined");
    }

    /**
     * The member's connection subscribed to its lines: from now on they go to {@code sink}, as fast
     * as the connection asks for them. Each request hops to the room's loop, as a task.
     */
    void attach(Member member, FluxSink<String> sink) {
        assert loop.inLoop() : "the room is touched off its loop";
        if (member.left) {
            sink.complete();
            return;
        }
        member.sink = sink;
        sink.onRequest(n -> {
            try {
                loop.execute(() -> drain(member));
            } catch (RejectedExecutionException shutDown) {
                // the room's loop is stopping: every connection is closing anyway
            }
        });
        drain(member);
    }

    /** A line from {@code from}: to everyone else, prefixed with its name. Blank lines are skipped. */
    void say(Member from, String text) {
        assert loop.inLoop() : "the room is touched off its loop";
        if (from.left || text.isBlank()) {
            return;
        }
        linesIn++;
        broadcast(from, from.name + ": " + text);
    }

    /** The member's connection ended: forget it and tell the others. Idempotent. */
    void leave(Member member) {
        assert loop.inLoop() : "the room is touched off its loop";
        if (member.left) {
            return;
        }
        member.left = true;
        member.outbox.clear();
        member.sink = null;
        if (members.remove(member)) {
            broadcast(member, "* " + member.name + " left");
        }
    }

    /**
     * The server is stopping: tells everyone, and ends each member's lines once what waits in its
     * outbox is sent, so that connections close cleanly instead of at the shutdown's deadline.
     */
    void close() {
        assert loop.inLoop() : "the room is touched off its loop";
        closing = true;
        for (Member member : members) {
            queue(member, "* the server is shutting down");
        }
    }

    /** A snapshot of the room, taken on its loop; safe from any thread. */
    CompletableFuture<Stats> stats() {
        return CompletableFuture.supplyAsync(() -> new Stats(members.size(), linesIn, linesDropped), loop);
    }

    private void broadcast(Member from, String line) {
        for (Member to : members) {
            if (to != from) {
                queue(to, line);
            }
        }
    }

    /** Puts the line in the member's outbox, dropping the oldest one when it is full, then sends what it can. */
    private void queue(Member to, String line) {
        if (to.outbox.size() == outboxLines) {
            to.outbox.removeFirst();
            to.dropped++;
            linesDropped++;
        }
        to.outbox.addLast(line);
        drain(to);
    }

    /**
     * Sends the member as many lines as its connection asked for. The lines dropped were the
     * oldest of the outbox, so the gap is always just before its head: that is where the notice
     * goes. Only this thread calls {@code next}, and demand only grows behind our back, so
     * checking {@code requestedFromDownstream()} first means the sink never overflows.
     */
    private void drain(Member to) {
        assert loop.inLoop() : "the room is touched off its loop";
        FluxSink<String> sink = to.sink;
        if (sink == null || sink.isCancelled()) {
            return; // not subscribed yet (lines wait in the outbox), or its connection is ending
        }
        while (sink.requestedFromDownstream() > 0 && (to.dropped > 0 || !to.outbox.isEmpty())) {
            if (to.dropped > 0) {
                sink.next("* " + to.dropped + (to.dropped == 1 ? " line" : " lines") + " dropped: you were reading too slowly");
                to.dropped = 0;
            } else {
                sink.next(to.outbox.removeFirst());
            }
        }
        if (closing && to.dropped == 0 && to.outbox.isEmpty()) {
            sink.complete();
            to.sink = null;
        }
    }
}

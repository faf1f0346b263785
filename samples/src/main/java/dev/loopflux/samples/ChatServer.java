package dev.loopflux.samples;

import dev.loopflux.core.LoopGroup;
import dev.loopflux.core.LoopOptions;
import dev.loopflux.core.net.TcpOptions;
import dev.loopflux.reactor.DisposableServer;
import dev.loopflux.reactor.LoopSchedulers;
import dev.loopflux.reactor.TcpInbound;
import dev.loopflux.reactor.TcpOutbound;
import dev.loopflux.reactor.TcpServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A line-based chat with the Reactor API: every line a client sends goes to every other client,
 * as {@code user-3: hello}. Try it with {@code nc 127.0.0.1 7008} in a few terminals.
 *
 * <p>Threading: connections are spread over the group's loops, but the room (who is here, what
 * each one has not been sent yet) lives on one loop, the first, and is touched only there, so
 * there is no lock anywhere. A connection reaches the room by hopping onto its loop:
 * <ul>
 *   <li>its lines, with {@code publishOn(LoopSchedulers.from(roomLoop), 32)}: at most 32 of
 *   a client's lines are on their way to the room at once; past that its socket is not read,
 *   and TCP slows the client down;</li>
 *   <li>its arrival, its requests for more lines and its departure, as tasks on the room's loop
 *   ({@code Loop.execute}, which runs tasks in the order they were handed over, so a member has
 *   joined before any of its lines arrives).</li>
 * </ul>
 * The lines for a client leave the room through a {@link FluxSink} that the room feeds only as
 * far as the connection asked; what a slow client has not asked for waits in its bounded outbox.
 * See {@link ChatRoom} for that policy (oldest lines dropped, counted, and the client told).
 */
final class ChatServer implements AutoCloseable {
    static final String USAGE = "usage: chat [--port N (default 7008)] [--host H (default 127.0.0.1)] [--loops N (default: cores)]"
            + " [--outbox N lines per client (default 256)]";
    /** Longest line a client may send; a longer one closes its connection with a FrameTooLongException. */
    static final int MAX_LINE_BYTES = 4096;
    /** Lines of one client on their way to the room at once, and from the room to the client (the prefetch of each hop). */
    private static final int LINES_IN_FLIGHT = 32;

    private final LoopGroup group;
    private final ChatRoom room;
    private final Scheduler roomScheduler;
    private final DisposableServer server;

    ChatServer(String host, int port, int loops, int outboxLines) {
        this(host, port, loops, outboxLines, TcpOptions.defaults());
    }

    /** With explicit socket options: tests shrink the buffers so that a slow client fills them fast. */
    ChatServer(String host, int port, int loops, int outboxLines, TcpOptions options) {
        group = LoopGroup.create(LoopOptions.builder().name("chat").loops(loops).build());
        room = new ChatRoom(group.loops().get(0), outboxLines);
        // Everything scheduled on it runs on the room's loop, whichever loop asks: publishOn hops.
        roomScheduler = LoopSchedulers.from(room.loop());
        try {
            server = TcpServer.create()
                    .host(host)
                    .port(port)
                    .runOn(group)
                    .options(options)
                    .handle(this::serve)
                    .bindNow();
        } catch (RuntimeException e) {
            group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(1));
            throw e;
        }
    }

    /**
     * One client, on its connection's loop. It joins the room, sends what the room gives it, and
     * says what it reads; when either side ends (the client closed, or a write failed), it
     * leaves and the connection closes.
     */
    private Mono<Void> serve(TcpInbound in, TcpOutbound out) {
        ChatRoom.Member member = new ChatRoom.Member(); // from here on, touched on the room's loop only
        onRoom(() -> room.join(member));

        // Room -> client. The room calls next() only as far as the connection asked (see
        // ChatRoom.drain), so ERROR is a guard that never fires rather than a policy.
        Flux<String> lines = Flux.create(sink -> onRoom(() -> room.attach(member, sink)),
                FluxSink.OverflowStrategy.ERROR);
        // limitRate: the room hands over lines in batches (one hop per batch, not per line).
        Mono<Void> sending = out.sendString(lines.limitRate(LINES_IN_FLIGHT).map(line -> line + "\n"));

        // Client -> room: hop each line to the room's loop, with a bounded prefetch.
        Mono<Void> receiving = in.receiveLines(MAX_LINE_BYTES)
                .publishOn(roomScheduler, LINES_IN_FLIGHT)
                .doOnNext(text -> room.say(member, text))
                .then();

        return Mono.firstWithSignal(receiving, sending)
                .doFinally(signal -> onRoom(() -> room.leave(member)));
    }

    /** Hands a task to the room's loop; after shutdown there is no room left to tell, so it is dropped. */
    private void onRoom(Runnable task) {
        try {
            room.loop().execute(task);
        } catch (RejectedExecutionException shutDown) {
            // the loops are stopping: every connection is closing anyway
        }
    }

    ChatRoom room() {
        return room;
    }

    DisposableServer server() {
        return server;
    }

    /** The {@code chat} command: serves until the process is stopped (Ctrl-C), then shuts down cleanly. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        String host;
        int port;
        int loops;
        int outbox;
        try {
            Args options = Args.parse(args, Set.of("--port", "--host", "--loops", "--outbox"));
            host = options.string("--host", "127.0.0.1");
            port = options.integer("--port", 7008, 0, 65535);
            loops = options.integer("--loops", Runtime.getRuntime().availableProcessors(), 1, 1024);
            outbox = options.integer("--outbox", 256, 1, 1_000_000);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        ChatServer chat = new ChatServer(host, port, loops, outbox);
        InetSocketAddress bound = (InetSocketAddress) chat.server.address();
        out.println("chat listening on " + bound.getHostString() + ":" + bound.getPort() + " with " + loops
                + " loop(s); every line goes to everyone else; at most " + outbox + " lines wait for a slow client");
        out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(chat::close, "chat-shutdown"));
        chat.group.terminationFuture().join();
        return 0;
    }

    /**
     * Tells every client, ends their lines once sent, closes their connections (at the latest
     * after a second), and stops the loops.
     */
    @Override
    public void close() {
        onRoom(room::close);
        server.disposeNow(Duration.ofSeconds(1));
        roomScheduler.dispose();
        group.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).join();
    }
}

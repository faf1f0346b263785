package dev.loopflux.core.net;

import dev.loopflux.core.IoHandler;
import dev.loopflux.core.IoRegistration;
import dev.loopflux.core.Loop;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.PortUnreachableException;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.SelectionKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;

/**
 * The {@link UdpEndpoint} on a {@link DatagramChannel}: the readiness handler, the interest set,
 * connecting, multicast memberships and closing. Receiving is {@link UdpReceive}'s, sending
 * {@link UdpOutbound}'s.
 *
 * <p>Longer than most files here: it is the endpoint's whole lifecycle (bind, register, connect,
 * multicast, close) in one place, as {@link TcpConnection} is for a stream connection.
 *
 * <p>Threading: every field is touched on the loop thread only, except {@link #open},
 * {@link #remote} and {@link #oversizeDropped} (written on the loop, read anywhere). Public
 * methods hop onto the loop.
 */
final class UdpSocket implements UdpEndpoint, IoHandler {
    private static final System.Logger LOGGER = System.getLogger(UdpEndpoint.class.getName());

    final Loop loop;
    final DatagramChannel channel;
    final UdpOptions options;
    /** The local address as messages name it. */
    final String local;
    final UdpReceive receive;
    final UdpOutbound outbound;
    private final InetSocketAddress localAddress;
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    /** Joined groups, by group and interface; made on first join. */
    private Map<List<Object>, MembershipKey> memberships;

    /** Null until registered on the loop (by the task queued at bind, or the first need of it). */
    private IoRegistration registration;
    /** The interest set last given to the registration, so unchanged sets cost nothing. */
    private int interest;
    private volatile boolean open = true;
    private volatile InetSocketAddress remote;
    private volatile long oversizeDropped;

    private UdpSocket(Loop loop, DatagramChannel channel, UdpOptions options) throws IOException {
        this.loop = loop;
        this.channel = channel;
        this.options = options;
        this.localAddress = (InetSocketAddress) channel.getLocalAddress();
        this.local = Peers.describe(localAddress);
        this.receive = new UdpReceive(this);
        this.outbound = new UdpOutbound(this);
    }

    static UdpSocket bind(Loop loop, InetSocketAddress address, UdpOptions options) throws IOException {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(options, "options");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot bind an unresolved address: " + address);
        }
        ProtocolFamily family = address.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        DatagramChannel channel = DatagramChannel.open(family);
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, options.reuseAddress());
            if (options.receiveBufferSize() > 0) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
            }
            if (options.sendBufferSize() > 0) {
                channel.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferSize());
            }
            if (options.multicastInterface() != null) {
                channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, options.multicastInterface());
            }
            if (!options.multicastLoopback()) { // true is the system default: set only a change
                channel.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, false);
            }
            try {
                channel.bind(address);
            } catch (IOException e) {
                BindException bind = new BindException("cannot bind UDP " + Peers.describe(address) + ": " + e.getMessage());
                bind.initCause(e);
                throw bind;
            }
            channel.configureBlocking(false);
            UdpSocket socket = new UdpSocket(loop, channel, options);
            socket.start();
            return socket;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Registers with the loop: at once on the loop thread, else in a task queued now. Either way
     * the registration exists before any later action of this endpoint runs, and every action
     * checks it anyway ({@link #ensureRegistered()}), since tasks from different threads have no
     * order between them.
     */
    private void start() throws IOException {
        if (loop.inLoop()) {
            if (!ensureRegistered()) {
                throw new IOException("cannot bind UDP " + local + ": loop " + loop.name() + " does not take it (shutting down)");
            }
            return;
        }
        try {
            loop.execute(this::ensureRegistered);
        } catch (RejectedExecutionException e) {
            throw new IOException("cannot bind UDP " + local + ": loop " + loop.name() + " is shut down", e);
        }
    }

    /** Loop thread: registers if not yet done. False if the endpoint is closed (or just closed, failing to register). */
    private boolean ensureRegistered() {
        if (registration != null || !open) {
            return registration != null && open;
        }
        try {
            registration = loop.register(channel, interest, this).join(); // complete at once on the loop thread
            return true;
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            closeWith(new IOException("cannot register UDP " + local + " with loop " + loop.name(), cause));
            return false;
        }
    }

    // ---- UdpEndpoint ---------------------------------------------------------------------

    @Override
    public CompletionStage<Void> connect(InetSocketAddress peer) {
        Objects.requireNonNull(peer, "peer");
        return onLoopStage(done -> {
            try {
                channel.connect(peer);
                remote = (InetSocketAddress) channel.getRemoteAddress();
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(failure("cannot connect UDP " + local + " to " + Peers.describe(peer), e));
            }
        });
    }

    @Override
    public Publisher<Datagram> receive() {
        return receive;
    }

    @Override
    public Publisher<Void> send(Publisher<Datagram> datagrams) {
        Objects.requireNonNull(datagrams, "datagrams");
        return subscriber -> outbound.subscribe(datagrams, subscriber);
    }

    @Override
    public CompletionStage<Void> joinGroup(InetAddress group, NetworkInterface nif) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(nif, "nif");
        return onLoopStage(done -> {
            if (memberships == null) {
                memberships = new HashMap<>();
            }
            List<Object> id = List.of(group, nif);
            try {
                MembershipKey key = memberships.get(id);
                if (key == null || !key.isValid()) {
                    memberships.put(id, channel.join(group, nif));
                }
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(failure("cannot join multicast group " + group.getHostAddress() + " on "
                        + nif.getName() + " at " + local, e));
            }
        });
    }

    @Override
    public CompletionStage<Void> leaveGroup(InetAddress group, NetworkInterface nif) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(nif, "nif");
        return onLoopStage(done -> {
            MembershipKey key = memberships == null ? null : memberships.remove(List.of(group, nif));
            if (key != null) {
                key.drop();
            }
            done.complete(null);
        });
    }

    @Override
    public void close() {
        onLoop(() -> closeWith(null));
    }

    @Override
    public CompletionStage<Void> onClose() {
        return closeFuture;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public Loop loop() {
        return loop;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public long oversizeDropped() {
        return oversizeDropped;
    }

    // ---- readiness -----------------------------------------------------------------------

    @Override
    public void onReady(IoRegistration registration, int readyOps) {
        // A pending socket error (an ICMP report) makes the channel ready for every interest op:
        // the read or write that follows raises it.
        if ((readyOps & SelectionKey.OP_WRITE) != 0) {
            outbound.writable();
        }
        if ((readyOps & SelectionKey.OP_READ) != 0 && open) {
            receive.readable();
        }
    }

    @Override
    public void onDeregistered(IoRegistration registration, Throwable cause) {
        // The loop shut down, or a callback threw inside onReady: close with that cause. The usual
        // caller is closeWith itself (it cancels the registration): then nothing is to be made.
        if (open) {
            closeWith(cause != null ? cause : new ConnectionClosedException("UDP endpoint " + local + " deregistered"));
        }
    }

    /** Loop thread: sets OP_READ and OP_WRITE from what the two sides want now. */
    void updateInterest() {
        if (!open || !ensureRegistered()) {
            return;
        }
        int ops = (receive.wantsRead() ? SelectionKey.OP_READ : 0) | (outbound.wantsWrite() ? SelectionKey.OP_WRITE : 0);
        if (ops != interest) {
            interest = ops;
            registration.interestOps(ops);
        }
    }

    /** Loop thread: a received datagram was over the limit and was dropped. */
    void droppedOversize(java.net.SocketAddress sender, int atLeast) {
        oversizeDropped++; // single writer: the loop thread
        LOGGER.log(System.Logger.Level.DEBUG, () -> "UDP " + local + " dropped a datagram of more than "
                + options.maxDatagramSize() + " bytes (" + atLeast + " read) from " + Peers.describe(sender));
    }

    /**
     * What a failed receive or send means for the user: an ICMP port unreachable becomes a
     * {@link PortUnreachableException} naming the peer; anything else an {@link IOException} that
     * says what failed and with whom. The original is the cause.
     */
    IOException ioFailure(IOException error, boolean sending, String peer) {
        String operation = sending ? "send" : "receive";
        if (error instanceof PortUnreachableException) {
            PortUnreachableException named = new PortUnreachableException(
                    "port unreachable: " + peer + " (ICMP report raised by a " + operation + " at UDP " + local + ")");
            named.initCause(error);
            return named;
        }
        return new IOException(operation + (sending ? " to " : " from ") + peer + " at UDP " + local + " failed: "
                + error.getMessage(), error);
    }

    /** The connected peer as messages name it, or a placeholder. */
    String peer() {
        InetSocketAddress r = remote;
        return r != null ? Peers.describe(r) : "(any sender)";
    }

    // ---- closing -------------------------------------------------------------------------

    /**
     * Loop thread: closes the socket, ends the receive subscriber ({@code onComplete} when
     * {@code cause} is null: a local close) and every pending send, and completes
     * {@link #onClose()} after the next select, once the descriptor is released. Idempotent.
     */
    void closeWith(Throwable cause) {
        if (!open) {
            return;
        }
        open = false;
        if (registration != null) {
            registration.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.DEBUG, "closing UDP " + local, e);
        }
        memberships = null; // closing the channel dropped them
        try {
            // Sends first: a send fed by this endpoint's own receive (an echo) must not go on
            // writing to the closed channel when the receive completes.
            try {
                outbound.closed(cause != null ? cause : new ConnectionClosedException("UDP endpoint " + local + " closed"));
            } finally {
                receive.closed(cause);
            }
        } finally {
            completeClosedAfterNextSelect(); // whatever a subscriber threw: the endpoint is closed
        }
    }

    /**
     * A registered channel's descriptor is released only when the selector processes the
     * cancelled key, in its next select. A timer added now runs after that select.
     */
    private void completeClosedAfterNextSelect() {
        try {
            loop.schedule(() -> closeFuture.complete(null), 0, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            closeFuture.complete(null); // the loop is shutting down: it closes its selector, and the channel with it
        }
    }

    /** Runs {@code action} on the loop: now if on it, else as a task; after the loop ended, not at all. */
    void onLoop(Runnable action) {
        if (loop.inLoop()) {
            action.run();
        } else {
            try {
                loop.execute(action);
            } catch (RejectedExecutionException e) {
                // The loop has shut down, and it closed this endpoint as it did.
            }
        }
    }

    /** Runs {@code action} on the loop with a future to complete, failing it when the endpoint is closed or the loop gone. */
    private CompletionStage<Void> onLoopStage(java.util.function.Consumer<CompletableFuture<Void>> action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable run = () -> {
            if (!open || !ensureRegistered()) {
                done.completeExceptionally(new ConnectionClosedException("UDP endpoint " + local + " is closed"));
            } else {
                action.accept(done);
            }
        };
        if (loop.inLoop()) {
            run.run();
        } else {
            try {
                loop.execute(run);
            } catch (RejectedExecutionException e) {
                done.completeExceptionally(new ConnectionClosedException("UDP endpoint " + local + " is closed: its loop shut down"));
            }
        }
        return done;
    }

    private static IOException failure(String what, Throwable cause) {
        String why = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        return new IOException(what + ": " + why, cause);
    }

    @Override
    public String toString() {
        InetSocketAddress r = remote;
        return "UdpEndpoint[" + local + (r != null ? " -> " + Peers.describe(r) : "") + (open ? "" : ", closed") + "]";
    }
}

package dev.loopflux.core.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;

/**
 * The sending side of a {@link UdpSocket}: sends in order, one {@link UdpSend} active at a time,
 * its datagrams queued in {@link #pending} and handed to the kernel one by one.
 *
 * <p>{@link #pending} holds, in order, the datagrams not yet sent and, after the last datagram
 * of each send whose upstream ended, that send: it completes when the writer passes it (every
 * datagram before it was taken by the kernel). So the send a datagram belongs to is the first
 * send after it in the queue, or the active one when there is none.
 *
 * <p>Memory bound: the active send is asked for more only once what it was last asked for has
 * arrived, and only for as many as {@link #pendingDatagrams} leaves under
 * {@link UdpOptions#sendHighWaterMark()}; so at most that many datagrams, each at most
 * {@link UdpOptions#maxDatagramSize()} bytes, wait here.
 * {@code OP_WRITE} is wanted only while the kernel refused one.
 *
 * <p>Threading: loop thread only.
 */
final class UdpOutbound {
    final UdpSocket socket;
    private final int highWaterMark;
    /** Datagrams and finished sends, in send order; made on first use. */
    private ArrayDeque<Object> pending;
    /** Datagrams in {@link #pending}. */
    private int pendingDatagrams;
    /** The send whose upstream we are reading from now. */
    private UdpSend active;
    /** Sends waiting their turn; made on first use. */
    private ArrayDeque<UdpSend> waiting;
    /** The kernel's send buffer is full: wait for OP_WRITE before sending again. */
    private boolean writeBlocked;
    private boolean flushing;
    private boolean flushAgain;
    private Throwable closedCause;

    UdpOutbound(UdpSocket socket) {
        this.socket = socket;
        this.highWaterMark = socket.options.sendHighWaterMark();
    }

    boolean wantsWrite() {
        return writeBlocked;
    }

    /** Any thread: a subscriber to {@link UdpEndpoint#send}'s publisher arrived. */
    void subscribe(Publisher<Datagram> data, Subscriber<? super Void> downstream) {
        java.util.Objects.requireNonNull(downstream, "subscriber");
        if (socket.loop.inLoop()) {
            subscribeNow(data, downstream);
            return;
        }
        try {
            socket.loop.execute(() -> subscribeNow(data, downstream));
        } catch (RejectedExecutionException e) {
            TcpConnection.reject(downstream, new ConnectionClosedException("UDP endpoint " + socket.local + " closed: its loop shut down"));
        }
    }

    private void subscribeNow(Publisher<Datagram> data, Subscriber<? super Void> downstream) {
        UdpSend op = new UdpSend(this, data, downstream);
        downstream.onSubscribe(op);
        if (op.isDone()) {
            return; // cancelled from onSubscribe
        }
        if (closedCause != null) {
            op.fail(closedCause);
        } else if (active == null && (waiting == null || waiting.isEmpty())) {
            activate(op);
        } else {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            waiting.add(op);
        }
    }

    private void activate(UdpSend op) {
        active = op;
        op.start();
    }

    /** The active send is finished with its upstream: start the next one waiting. */
    private void activateNext() {
        active = null;
        while (waiting != null && !waiting.isEmpty()) {
            UdpSend next = waiting.poll();
            if (!next.isDone()) {
                activate(next);
                return;
            }
        }
    }

    // ---- from the active send's upstream (loop thread) --------------------------------------

    void onUpstreamNext(UdpSend op, Datagram datagram) {
        op.received();
        if (op != active || closedCause != null) {
            return; // cancelled, failed or closed: the datagram is dropped
        }
        Throwable bad = check(datagram);
        if (bad != null) {
            pend(op); // what it gave before is still sent
            op.fail(bad);
            flush();
            activateNext();
            return;
        }
        pendingDatagrams++;
        pend(datagram);
        flush();
        requestMore(op);
    }

    void onUpstreamComplete(UdpSend op) {
        if (op != active) {
            return;
        }
        pend(op); // completes when the writer gets past it
        flush();
        activateNext();
    }

    void onUpstreamError(UdpSend op, Throwable error) {
        if (op != active) {
            return;
        }
        pend(op); // marks where its datagrams end; they are still sent
        op.fail(error);
        flush();
        activateNext();
    }

    /** The send's subscriber cancelled it: its datagrams already taken are still sent. */
    void cancelled(UdpSend op) {
        if (op == active) {
            pend(op);
            activateNext();
        } else if (waiting != null) {
            waiting.remove(op);
        }
    }

    /** Asks the active send for as many datagrams as fit under the mark, once the last batch has arrived. */
    void requestMore(UdpSend op) {
        if (op == active && closedCause == null && op.outstanding() == 0) {
            int room = highWaterMark - pendingDatagrams;
            if (room > 0) {
                op.pull(room);
            }
        }
    }

    /**
     * Why {@code datagram} cannot be sent from this endpoint, or null. Per datagram: the
     * recipient is put into words only for an error.
     */
    private Throwable check(Datagram datagram) {
        InetSocketAddress to = datagram.address();
        InetSocketAddress peer = socket.remoteAddress();
        int size = datagram.size();
        if (size > socket.options.maxDatagramSize()) {
            return new DatagramTooLargeException(size, socket.options.maxDatagramSize(), recipient(datagram));
        }
        if (to == null && peer == null) {
            return new IllegalArgumentException("datagram without a recipient on UDP " + socket.local + ", which is not connected");
        }
        if (to != null && to.isUnresolved()) {
            return new IllegalArgumentException("datagram for an unresolved address " + to + " on UDP " + socket.local);
        }
        if (to != null && peer != null && !to.equals(peer)) {
            return new IllegalArgumentException("datagram for " + recipient(datagram) + " on UDP " + socket.local
                    + ", which is connected to " + Peers.describe(peer));
        }
        return null;
    }

    // ---- sending -------------------------------------------------------------------------

    /** OP_WRITE fired: the kernel has room again (or a socket error waits to be read). */
    void writable() {
        writeBlocked = false;
        flush();
    }

    /**
     * Sends what is pending until done or the kernel refuses more. Re-entrant calls (a completion
     * callback that sends again) only ask the running flush to go round again.
     */
    void flush() {
        if (flushing) {
            flushAgain = true;
            return;
        }
        if (writeBlocked || pending == null || pending.isEmpty()) {
            return;
        }
        flushing = true;
        try {
            do {
                flushAgain = false;
                sendPending();
            } while (flushAgain && !writeBlocked && closedCause == null);
        } finally {
            flushing = false;
        }
        socket.updateInterest();
        if (active != null) {
            requestMore(active);
        }
    }

    private void sendPending() {
        while (closedCause == null && !pending.isEmpty()) {
            Object head = pending.peekFirst();
            if (head instanceof UdpSend op) {
                pending.pollFirst();
                op.complete();
                continue;
            }
            Datagram datagram = (Datagram) head;
            boolean sent;
            try {
                // A datagram goes whole or not at all: 0 bytes sent means the send buffer is full.
                int size = datagram.content().remaining();
                int n = datagram.address() == null
                        ? socket.channel.write(datagram.content())
                        : socket.channel.send(datagram.content(), datagram.address());
                sent = n > 0 || size == 0;
            } catch (IOException e) {
                dropFailed(socket.ioFailure(e, true, recipient(datagram)));
                continue;
            } catch (RuntimeException e) { // an address of the wrong family, the endpoint connected meanwhile
                dropFailed(new IOException("send to " + recipient(datagram) + " at UDP " + socket.local + " failed: " + e, e));
                continue;
            }
            if (!sent) {
                writeBlocked = true;
                return;
            }
            pending.pollFirst();
            pendingDatagrams--;
        }
    }

    private String recipient(Datagram datagram) {
        return datagram.address() != null ? Peers.describe(datagram.address()) : socket.peer();
    }

    /**
     * The kernel refused the head datagram: it and the rest of its send's datagrams are dropped,
     * and that send fails with {@code error}. Later sends go on.
     */
    private void dropFailed(IOException error) {
        UdpSend owner = null;
        Iterator<Object> it = pending.iterator();
        while (it.hasNext()) {
            Object item = it.next();
            it.remove();
            if (item instanceof UdpSend op) {
                owner = op;
                break;
            }
            pendingDatagrams--;
        }
        if (owner == null) { // the active send's datagram
            owner = active;
            if (owner != null) {
                owner.fail(error);
                activateNext();
            }
        } else {
            owner.fail(error);
        }
    }

    private void pend(Object item) {
        if (pending == null) {
            pending = new ArrayDeque<>(8);
        }
        pending.add(item);
    }

    /** The endpoint closed: every send not yet complete fails with {@code cause}. */
    void closed(Throwable cause) {
        closedCause = cause;
        pendingDatagrams = 0;
        writeBlocked = false;
        if (pending != null) {
            Object item;
            while ((item = pending.poll()) != null) {
                if (item instanceof UdpSend op) {
                    op.fail(cause);
                }
            }
        }
        UdpSend current = active;
        active = null;
        if (current != null) {
            current.fail(cause);
        }
        if (waiting != null) {
            UdpSend op;
            while ((op = waiting.poll()) != null) {
                op.fail(cause);
            }
        }
    }
}

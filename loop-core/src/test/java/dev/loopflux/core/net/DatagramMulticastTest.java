package dev.loopflux.core.net;

import static dev.loopflux.core.net.Net.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.Loop;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Multicast, where the machine allows it: a member joins an administratively scoped IPv4 group
 * on an interface that is up and multicast-capable, and receives what a sender on the same host
 * sends to the group (looped back by {@code IP_MULTICAST_LOOP}). Containers and CI machines often
 * have no such interface, or filter multicast: the test is then skipped, with the reason.
 */
@Timeout(30)
class DatagramMulticastTest {
    private static final String GROUP = "239.255.42.99";

    private Loop loop;
    private UdpEndpoint member;
    private UdpEndpoint sender;

    @BeforeEach
    void start() {
        loop = Loop.create("udp-multicast");
    }

    @AfterEach
    void stop() throws Exception {
        for (UdpEndpoint e : new UdpEndpoint[] {member, sender}) {
            if (e != null) {
                e.close();
                await(e.onClose());
            }
        }
        loop.shutdownGracefully(Duration.ZERO, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }

    /** An interface that is up, not loopback (Linux's lo has no MULTICAST flag), multicast-capable, with IPv4. */
    private static NetworkInterface multicastInterface() throws SocketException {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && nif.supportsMulticast() && !nif.isLoopback() && !nif.isVirtual()
                    && Collections.list(nif.getInetAddresses()).stream().anyMatch(a -> a instanceof Inet4Address)) {
                return nif;
            }
        }
        return null;
    }

    @Test
    void aMemberReceivesWhatIsSentToItsGroupThenLeaves() throws Exception {
        NetworkInterface nif = multicastInterface();
        Assumptions.assumeTrue(nif != null, "no interface that is up, multicast-capable and has IPv4");
        InetAddress group = InetAddress.getByName(GROUP);

        member = UdpEndpoint.bind(loop, new InetSocketAddress("0.0.0.0", 0), UdpOptions.builder().reuseAddress(true).build());
        try {
            await(member.joinGroup(group, nif));
        } catch (java.util.concurrent.ExecutionException e) {
            Assumptions.abort("the system refuses to join " + GROUP + " on " + nif.getName() + ": " + e.getCause());
        }
        await(member.joinGroup(group, nif)); // again: a no-op
        sender = UdpEndpoint.bind(loop, new InetSocketAddress("0.0.0.0", 0),
                UdpOptions.builder().multicastInterface(nif).multicastLoopback(true).build());
        Recorder<Datagram> in = Recorder.onLoop(loop, Long.MAX_VALUE);
        member.receive().subscribe(in);
        in.subscription();

        InetSocketAddress to = new InetSocketAddress(group, member.localAddress().getPort());
        boolean looped = false;
        for (int i = 0; i < 10 && !looped; i++) { // a first datagram may go before the membership is in place
            Recorder<Void> sent = Recorder.requesting(1);
            sender.send(Probe.publisherOf(Datagram.to(to, ByteBuffer.wrap(("hello group " + i).getBytes(StandardCharsets.UTF_8)))))
                    .subscribe(sent);
            try {
                sent.awaitComplete();
            } catch (java.util.concurrent.ExecutionException e) {
                Assumptions.abort("the system refuses to send to " + GROUP + " on " + nif.getName() + ": " + e.getCause());
            }
            try {
                in.whenCount(1).get(300, TimeUnit.MILLISECONDS);
                looped = true;
            } catch (TimeoutException e) {
                // not looped back (yet): try again
            }
        }
        Assumptions.assumeTrue(looped, "multicast to " + GROUP + " on " + nif.getName()
                + " is not looped back on this machine (filtered or not routed)");
        assertThat(RecordingSubscriber.text(in.items().get(0).content())).startsWith("hello group");
        assertThat(in.items().get(0).address().getPort()).isEqualTo(sender.localAddress().getPort());
        assertThat(in.offLoopSignal).isNull();

        await(member.leaveGroup(group, nif));
        await(member.leaveGroup(group, nif)); // again: a no-op
        assertThat(member.isOpen()).isTrue();
    }

    @Test
    void joiningANonMulticastAddressFailsNamingTheGroup() throws Exception {
        NetworkInterface nif = multicastInterface();
        if (nif == null) {
            nif = NetworkInterface.getByInetAddress(InetAddress.getByName("127.0.0.1"));
        }
        Assumptions.assumeTrue(nif != null, "no interface to name");
        member = UdpEndpoint.bind(loop, new InetSocketAddress("127.0.0.1", 0), UdpOptions.defaults());
        NetworkInterface chosen = nif;
        Throwable error = null;
        try {
            await(member.joinGroup(InetAddress.getByName("10.1.2.3"), chosen));
        } catch (java.util.concurrent.ExecutionException e) {
            error = e.getCause();
        }
        assertThat(error).isInstanceOf(IOException.class).hasMessageContaining("10.1.2.3").hasMessageContaining(chosen.getName());
        assertThat(member.isOpen()).isTrue();
    }
}

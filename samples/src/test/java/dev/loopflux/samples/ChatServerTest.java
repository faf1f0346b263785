package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.net.TcpOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The chat server against real TCP clients (blocking sockets on the test's threads). */
@Timeout(60)
class ChatServerTest {

    @Test
    void everyLineGoesToEveryOtherClient() throws Exception {
        try (ChatServer chat = new ChatServer("127.0.0.1", 0, 2, 256);
             Client a = Client.join(chat, "user-1");
             Client b = Client.join(chat, "user-2");
             Client c = Client.join(chat, "user-3")) {
            // One speaker at a time: lines of different clients may reach the room in any order.
            a.say("hello from a");
            assertThat(b.nextChatLine()).isEqualTo("user-1: hello from a");
            assertThat(c.nextChatLine()).isEqualTo("user-1: hello from a");
            b.say("hello from b");
            assertThat(a.nextChatLine()).isEqualTo("user-2: hello from b"); // not its own line first
            assertThat(c.nextChatLine()).isEqualTo("user-2: hello from b");
            c.say("hello from c");
            assertThat(a.nextChatLine()).isEqualTo("user-3: hello from c");
            assertThat(b.nextChatLine()).isEqualTo("user-3: hello from c");
            assertThat(chat.room().stats().get(5, TimeUnit.SECONDS)).isEqualTo(new ChatRoom.Stats(3, 3, 0));
        }
    }

    @Test
    void aClientThatNeverReadsLosesItsOldestLinesWhileTheOthersGetEverything() throws Exception {
        // Small buffers everywhere, so that a client that does not read fills them after a few KiB.
        TcpOptions small = TcpOptions.builder().sendBufferSize(8 * 1024).writeHighWaterMark(8 * 1024).build();
        int outbox = 64;
        int lines = 3000;
        String padding = "x".repeat(100);
        try (ChatServer chat = new ChatServer("127.0.0.1", 0, 2, outbox, small);
             Client talker = Client.join(chat, "user-1");
             Client listener = Client.join(chat, "user-2");
             Client slow = Client.join(chat, "user-3", 4096)) {
            talker.skipLine("* user-2 joined");
            talker.skipLine("* user-3 joined");
            listener.skipLine("* user-3 joined");

            // The slow client reads nothing from here on, while the talker sends 300 KiB, 20 lines
            // at a time, as people do: every line reaches the listener, however far behind the
            // slow client is.
            for (int batch = 0; batch < lines; batch += 20) {
                for (int i = batch; i < batch + 20; i++) {
                    talker.say("line " + i + " " + padding);
                }
                for (int i = batch; i < batch + 20; i++) {
                    assertThat(listener.nextChatLine()).isEqualTo("user-1: line " + i + " " + padding);
                }
            }

            ChatRoom.Stats stats = chat.room().stats().get(5, TimeUnit.SECONDS);
            assertThat(stats.members()).isEqualTo(3);
            assertThat(stats.linesIn()).isEqualTo(lines);
            // Only the slow client drops, and it keeps no more than its outbox, a high-water mark
            // and the socket buffers: far fewer than the 3000 lines (300 KiB) it was sent.
            assertThat(stats.linesDropped()).isGreaterThan(lines / 2);

            // When it reads again: what was already on its way, and before each gap a notice of how
            // many lines it missed (a gap can open while the first lines are still being taken by
            // its socket, so there may be more than one), then the most recent lines, up to the last.
            int received = 0;
            int notices = 0;
            long droppedNotice = 0;
            for (String line = slow.readLine(); ; line = slow.readLine()) {
                if (line.startsWith("* ") && line.endsWith(" lines dropped: you were reading too slowly")) {
                    droppedNotice += Long.parseLong(line.substring(2, line.indexOf(' ', 2)));
                    notices++;
                } else if (line.startsWith("user-1: ")) {
                    received++;
                    if (line.equals("user-1: line " + (lines - 1) + " " + padding)) {
                        break;
                    }
                }
            }
            assertThat(notices).isPositive();
            assertThat(droppedNotice).isEqualTo(stats.linesDropped());
            assertThat(received + droppedNotice).isEqualTo(lines);

            // Still a member: what it says reaches the others.
            slow.say("sorry, I was away");
            assertThat(listener.nextChatLine()).isEqualTo("user-3: sorry, I was away");
        }
    }

    @Test
    void aClientThatDisconnectsIsRemoved() throws Exception {
        try (ChatServer chat = new ChatServer("127.0.0.1", 0, 2, 256);
             Client a = Client.join(chat, "user-1");
             Client b = Client.join(chat, "user-2")) {
            try (Client c = Client.join(chat, "user-3")) {
                a.skipLine("* user-2 joined");
                a.skipLine("* user-3 joined");
                b.skipLine("* user-3 joined");
            }
            a.skipLine("* user-3 left");
            b.skipLine("* user-3 left");
            assertThat(chat.room().stats().get(5, TimeUnit.SECONDS).members()).isEqualTo(2);

            a.say("still here?");
            assertThat(b.nextChatLine()).isEqualTo("user-1: still here?");
        }
    }

    @Test
    void closingTheServerTellsEveryClientAndEndsTheirConnections() throws Exception {
        ChatServer chat = new ChatServer("127.0.0.1", 0, 2, 256);
        try (Client a = Client.join(chat, "user-1");
             Client b = Client.join(chat, "user-2")) {
            a.skipLine("* user-2 joined");
            chat.close();
            for (Client client : new Client[] {a, b}) {
                assertThat(client.readLine()).isEqualTo("* the server is shutting down");
                assertThat(client.in.readLine()).isNull(); // end of stream
            }
        }
    }

    /** A blocking line client; every read waits at most 10 s. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        private Client(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.out = socket.getOutputStream();
        }

        /** Connects and waits for the welcome, which names the client. */
        static Client join(ChatServer chat, String expectedName) throws IOException {
            return join(chat, expectedName, 0);
        }

        /** With {@code SO_RCVBUF} set before connecting when {@code receiveBuffer > 0}: a small window for a slow reader. */
        static Client join(ChatServer chat, String expectedName, int receiveBuffer) throws IOException {
            Socket socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.setSoTimeout(10_000);
            socket.connect(new InetSocketAddress("127.0.0.1", chat.server().port()));
            Client client = new Client(socket);
            assertThat(client.readLine()).startsWith("* welcome, you are " + expectedName + " (");
            return client;
        }

        void say(String text) {
            try {
                out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        String readLine() throws IOException {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("the server closed the connection");
            }
            return line;
        }

        /** The next line that some client said, skipping the room's notices. */
        String nextChatLine() throws IOException {
            for (String line = readLine(); ; line = readLine()) {
                if (!line.startsWith("* ")) {
                    return line;
                }
            }
        }

        /** Reads until {@code expected}, which must be a notice: no chat line may come before it. */
        void skipLine(String expected) throws IOException {
            String line = readLine();
            while (!line.equals(expected)) {
                assertThat(line).as("while waiting for '" + expected + "'").startsWith("* ");
                line = readLine();
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

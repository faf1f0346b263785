package dev.loopflux.samples;

import dev.loopflux.core.net.SelfSignedCertificate;
import dev.loopflux.core.net.TlsOptions;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code loopflux-samples.jar}: {@code java -jar loopflux-samples.jar [command] [options]}.
 *
 * <p>Commands:
 * <ul>
 *   <li>{@code demo} (the default): an echo server and a load client on loopback for a few
 *   seconds, then messages per second, latency, loop metrics and heap per connection
 *   ({@link Demo});</li>
 *   <li>{@code echo}: serves TCP echo until stopped ({@link ReactorEcho}, or {@link CoreEcho}
 *   with {@code --api core}); {@code --tls} serves TLS with a self-signed certificate made at
 *   start ({@link dev.loopflux.core.net.SelfSignedCertificate});</li>
 *   <li>{@code chat}: a line-based chat server, until stopped ({@link ChatServer});</li>
 *   <li>{@code proxy}: a TCP proxy to {@code --to HOST:PORT}, bytes piped both ways with no copy,
 *   until stopped ({@link ProxySample});</li>
 *   <li>{@code loop-demo}: the bare loop: a burst of cross-thread tasks, timers, a raw-NIO
 *   echo ({@link LoopDemo}).</li>
 * </ul>
 * Servers print the address they listen on once ready, and stop cleanly on Ctrl-C.
 */
public final class Main {

    static final String ECHO_USAGE = "usage: echo [--port N (default 7007)] [--host H (default 127.0.0.1)] [--loops N] [--api reactor|core (default reactor)] [--tls]";

    /** Each command's usage line, for {@code help}. */
    static final List<String> USAGES = List.of(Demo.USAGE, ECHO_USAGE, ChatServer.USAGE, HttpSample.USAGE, ProxySample.USAGE,
            LoopDemo.USAGE);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    private static int echo(String[] args, PrintStream out, PrintStream err) throws Exception {
        int port = 7007;
        String host = "127.0.0.1";
        int loops = Runtime.getRuntime().availableProcessors();
        String api = "reactor";
        boolean tls = false;
        try {
            for (int i = 0; i < args.length; i += 2) {
                if (args[i].equals("--tls")) {
                    tls = true;
                    i--; // a flag: no value
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + args[i]);
                }
                String value = args[i + 1];
                switch (args[i]) {
                    case "--port" -> port = Integer.parseInt(value);
                    case "--host" -> host = value;
                    case "--loops" -> loops = Integer.parseInt(value);
                    case "--api" -> api = value;
                    default -> throw new IllegalArgumentException("unknown option: " + args[i]);
                }
            }
            if (!api.equals("core") && !api.equals("reactor")) {
                throw new IllegalArgumentException("--api must be reactor or core, not " + api);
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(ECHO_USAGE);
            return 2;
        }
        TlsOptions tlsOptions = null;
        if (tls) {
            SelfSignedCertificate certificate = SelfSignedCertificate.create();
            tlsOptions = certificate.serverOptions().build();
            out.println("TLS with a self-signed certificate for localhost and 127.0.0.1, made now; try: openssl s_client -connect"
                    + " HOST:PORT as printed below (it reports that it cannot verify the certificate, then echoes what you type)");
        }
        if (api.equals("core")) {
            CoreEcho.run(host, port, loops, tlsOptions, out);
        } else {
            ReactorEcho.run(host, port, loops, tlsOptions, out);
        }
        return 0;
    }

    /** Runs a command; returns the process exit status. One line per command: add yours here and in {@link #USAGES}. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        boolean named = args.length > 0 && (!args[0].startsWith("-") || args[0].equals("--help") || args[0].equals("-h"));
        String command = named ? args[0] : "demo";
        String[] rest = named ? Arrays.copyOfRange(args, 1, args.length) : args;
        return switch (command) {
            case "demo" -> Demo.run(rest, out, err);
            case "echo" -> echo(rest, out, err);
            case "chat" -> ChatServer.run(rest, out, err);
            case "http" -> HttpSample.command(rest, out, err);
            case "proxy" -> ProxySample.run(rest, out, err);
            case "loop-demo" -> LoopDemo.run(rest, out, err);
            case "help", "--help", "-h" -> help(out);
            default -> {
                err.println("unknown command: " + command);
                help(err);
                yield 2;
            }
        };
    }

    private static int help(PrintStream out) {
        out.println("java -jar loopflux-samples.jar [command] [options]   (the command defaults to demo)");
        USAGES.forEach(out::println);
        return 0;
    }
}

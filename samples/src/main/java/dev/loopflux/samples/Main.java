package dev.loopflux.samples;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * Entry point of {@code loopflux-samples.jar}: {@code java -jar loopflux-samples.jar [command] [options]}.
 *
 * <p>Commands: {@code demo} (the default) runs the loop through a burst of cross-thread tasks,
 * a batch of timers and a loopback echo, then prints what it measured and the loops' metrics.
 * {@code echo} serves TCP echo until stopped.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    static final String ECHO_USAGE = "usage: echo [--port N (default 7007)] [--host H (default 127.0.0.1)] [--loops N] [--api reactor|core (default reactor)]";

    private static int echo(String[] args, PrintStream out, PrintStream err) throws Exception {
        int port = 7007;
        String host = "127.0.0.1";
        int loops = Runtime.getRuntime().availableProcessors();
        String api = "reactor";
        try {
            for (int i = 0; i < args.length; i += 2) {
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
        if (api.equals("core")) {
            CoreEcho.run(host, port, loops, out);
        } else {
            ReactorEcho.run(host, port, loops, out);
        }
        return 0;
    }

    /** Runs a command; returns the process exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String command = args.length == 0 || args[0].startsWith("--") ? "demo" : args[0];
        String[] rest = args.length == 0 || args[0].startsWith("--") ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "demo":
                LoopDemo.Settings settings;
                try {
                    settings = LoopDemo.Settings.parse(rest);
                } catch (IllegalArgumentException e) {
                    err.println(e.getMessage());
                    err.println(LoopDemo.USAGE);
                    return 2;
                }
                new LoopDemo(settings, out).run();
                return 0;
            case "echo":
                return echo(rest, out, err);
            case "http":
                return HttpSample.command(rest, out, err);
            case "help":
            case "--help":
                out.println(LoopDemo.USAGE);
                out.println(ECHO_USAGE);
                return 0;
            default:
                err.println("unknown command: " + command);
                err.println(LoopDemo.USAGE);
                return 2;
        }
    }
}

package dev.loopflux.samples;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * Entry point of {@code loopflux-samples.jar}: {@code java -jar loopflux-samples.jar [command] [options]}.
 *
 * <p>Commands: {@code demo} (the default) runs the loop through a burst of cross-thread tasks,
 * a batch of timers and a loopback echo, then prints what it measured and the loops' metrics.
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
            case "help":
            case "--help":
                out.println(LoopDemo.USAGE);
                return 0;
            default:
                err.println("unknown command: " + command);
                err.println(LoopDemo.USAGE);
                return 2;
        }
    }
}

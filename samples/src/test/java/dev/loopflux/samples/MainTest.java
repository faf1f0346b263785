package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MainTest {

    @Test
    void loopDemoRunsAllThreeActsAndPrintsItsTable() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"loop-demo", "--loops", "2", "--tasks", "50000", "--timers", "500", "--pings", "200"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8), new PrintStream(errors, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertThat(status).as(errors.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out).contains("Loopflux loop demo: 2 loops")
                .containsPattern("burst \\(50,000 tasks\\) +[\\d,]+ tasks/s")
                .containsPattern("timer lateness p50 / p99 +[\\d,.]+ us / [\\d,.]+ us")
                .containsPattern("echo round trip p50 / p99 +[\\d,.]+ us / [\\d,.]+ us")
                .containsPattern("demo-0 +\\d+ +\\d+")
                .containsPattern("demo-1 +\\d+ +\\d+")
                .contains("All loops shut down.");
    }

    @Test
    void badOptionsPrintUsageAndFail() throws Exception {
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"loop-demo", "--loops", "zero"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(errors, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(errors.toString(StandardCharsets.UTF_8)).contains("--loops needs a positive number, not 'zero'").contains("usage:");
    }

    @Test
    void helpListsEveryCommandAndAnUnknownOneFails() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"--help"}, new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err)).isZero();
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .contains("usage: demo").contains("usage: echo").contains("usage: chat").contains("usage: loop-demo");

        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"nope"}, System.out, new PrintStream(errors, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(errors.toString(StandardCharsets.UTF_8)).contains("unknown command: nope").contains("usage: chat");
    }

    @Test
    void chatRejectsBadOptionsBeforeBinding() throws Exception {
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"chat", "--outbox", "0"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(errors, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(errors.toString(StandardCharsets.UTF_8))
                .contains("--outbox needs a whole number in [1, 1000000], not '0'")
                .contains("usage: chat");
    }

    @Test
    void percentileIsNearestRank() {
        long[] values = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
        assertThat(LoopDemo.percentile(values, 50)).isEqualTo(5);
        assertThat(LoopDemo.percentile(values, 99)).isEqualTo(10);
        assertThat(LoopDemo.percentile(values, 10)).isEqualTo(1);
    }
}

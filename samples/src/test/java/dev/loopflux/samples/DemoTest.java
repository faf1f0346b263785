package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DemoTest {

    @Test
    void aShortRunPrintsASaneTable() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"demo", "--seconds", "1", "--connections", "4", "--loops", "2"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8), new PrintStream(errors, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertThat(status).as(errors.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out).as(out)
                .contains("Loopflux demo: an echo server (Reactor API) on 2 loop(s), listening on 127.0.0.1:")
                .contains("load: 4 connections x 16 messages in flight x 128 bytes, for 1 s")
                .containsPattern("\\[ 1/1 s\\] +[\\d,]+ msgs/s") // not a terminal: one progress line per second
                .containsPattern("heap per connection +\\S")
                .containsPattern("echo-0 +\\d+ +\\d+ +\\d+ +\\S")
                .containsPattern("echo-1 +\\d+ +\\d+ +\\d+ +\\S")
                .contains("All loops shut down.");

        Matcher rate = Pattern.compile("messages per second +([\\d,]+)").matcher(out);
        assertThat(rate.find()).as(out).isTrue();
        assertThat(number(rate.group(1))).isPositive();

        Matcher latency = Pattern.compile("latency p50 / p99 +([\\d,.]+) us / ([\\d,.]+) us").matcher(out);
        assertThat(latency.find()).as(out).isTrue();
        double p50 = number(latency.group(1));
        double p99 = number(latency.group(2));
        assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
    }

    @Test
    void badOptionsPrintUsageAndFail() throws Exception {
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"demo", "--seconds", "zero"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(errors, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(errors.toString(StandardCharsets.UTF_8))
                .contains("--seconds needs a whole number in [1, 3600], not 'zero'")
                .contains("usage: demo");
    }

    @Test
    void percentilesAreNearestRank() {
        LoadClient.Result result = new LoadClient.Result(10, 1.0, new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertThat(result.percentile(50)).isEqualTo(5);
        assertThat(result.percentile(99)).isEqualTo(10);
        assertThat(result.percentile(10)).isEqualTo(1);
        assertThat(new LoadClient.Result(0, 1.0, new long[0]).percentile(99)).isZero();
    }

    private static double number(String text) {
        return Double.parseDouble(text.replace(",", ""));
    }
}

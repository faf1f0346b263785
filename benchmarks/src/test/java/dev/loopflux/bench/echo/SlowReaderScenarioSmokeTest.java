package dev.loopflux.bench.echo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link EchoBench}'s slow-reader scenarios end to end, for a second, against the Loopflux
 * servers (a pipe, and a handler that sees every chunk): the rows are well formed, the clients
 * got bytes in before the server pushed back, and {@code slow-long}'s heap readings (at the start,
 * every 10 s, at the end) are there. No figure is asserted: one second says nothing about memory.
 */
@Timeout(120)
class SlowReaderScenarioSmokeTest {

    @ParameterizedTest
    @ValueSource(strings = {"loopflux", "reactor-map"})
    void slowReaderRowsAreWellFormed(String impl) throws Exception {
        try (EchoBench.ServerProcess server = EchoBench.ServerProcess.start(impl, EchoBench.Mode.PLAIN)) {
            String[] row = EchoBench.run("slow", impl, server, Duration.ZERO, Duration.ofSeconds(1), 0, 16, EchoBench.Mode.PLAIN);
            assertThat(row).hasSize(3);
            assertThat(row[0]).isEqualTo(impl);
            assertThat(row[1]).endsWith(" MiB").isNotEqualTo("0 MiB");

            String[] longRow = EchoBench.run("slow-long", impl, server, Duration.ZERO, Duration.ofSeconds(1), 0, 16, EchoBench.Mode.PLAIN);
            assertThat(longRow).hasSize(4);
            assertThat(longRow[3].split(" ")).as("heap at the start and at the end").hasSize(2);
        }
    }
}

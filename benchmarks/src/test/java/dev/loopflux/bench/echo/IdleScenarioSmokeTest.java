package dev.loopflux.bench.echo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link EchoBench}'s two idle scenarios end to end on a few connections, for each server: the
 * rows are well formed and the warm round's connections are closed by the server (its close is
 * awaited, and a server that did not close would stall the round until the socket timeout).
 * No figure is asserted: a few connections say nothing about memory per connection.
 */
@Timeout(120)
class IdleScenarioSmokeTest {

    @ParameterizedTest
    @ValueSource(strings = {"loopflux", "reactor", "netty", "reactor-netty", "nio"})
    void idleRowsAreWellFormed(String impl) throws Exception {
        try (EchoBench.ServerProcess server = EchoBench.ServerProcess.start(impl, EchoBench.Mode.PLAIN)) {
            String[] row = EchoBench.idle(impl, server, 20, EchoBench.Mode.PLAIN);
            assertThat(row).hasSize(4);
            assertThat(row[0]).isEqualTo(impl);
            assertThat(row[1]).isEqualTo("20");
        }
        try (EchoBench.ServerProcess server = EchoBench.ServerProcess.start(impl, EchoBench.Mode.PLAIN, true)) {
            String[] row = EchoBench.idleWarm(impl, server, 20, EchoBench.Mode.PLAIN);
            assertThat(row).hasSize(5);
            assertThat(row[0]).isEqualTo(impl);
            long outside = Long.parseLong(row[2].replace(",", ""));
            long heap = Long.parseLong(row[3].replace(",", ""));
            assertThat(Long.parseLong(row[4].replace(",", ""))).isEqualTo(outside + heap);
        }
    }
}

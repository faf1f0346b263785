package dev.loopflux.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link DatagramBench} end to end at a tiny size: each server JVM starts, echoes, and stops. No timing asserted. */
@Timeout(120)
class DatagramBenchSmokeTest {

    @Test
    void eachServerEchoesAndTheHarnessPrintsARow() throws Exception {
        for (String impl : new String[] {"loopflux", "netty"}) {
            try (DatagramBench.ServerProcess server = DatagramBench.ServerProcess.start(impl)) {
                String[] row = DatagramBench.measure(impl, server, 4, 32, Duration.ZERO, Duration.ofMillis(500));
                assertThat(row[0]).isEqualTo(impl);
                assertThat(Long.parseLong(row[1].replace(",", ""))).as("round trips/s of %s", impl).isPositive();
            }
        }
    }
}

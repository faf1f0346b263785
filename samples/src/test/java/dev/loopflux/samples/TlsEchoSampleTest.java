package dev.loopflux.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.loopflux.core.net.SelfSignedCertificate;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The echo sample's {@code --tls}: a JDK client that trusts the certificate, and {@code openssl s_client}. */
@Timeout(60)
class TlsEchoSampleTest {
    private static SelfSignedCertificate certificate;

    @BeforeAll
    static void makeCertificate() throws Exception {
        certificate = SelfSignedCertificate.create();
    }

    @Test
    void reactorEchoServesTlsToAJdkClient() throws Exception {
        try (ReactorEcho echo = new ReactorEcho("127.0.0.1", 0, 2, certificate.serverOptions().build())) {
            assertEchoes(echo.server().port());
        }
    }

    @Test
    void coreEchoServesTlsToAJdkClient() throws Exception {
        try (CoreEcho echo = new CoreEcho("127.0.0.1", 0, 2, certificate.serverOptions().build())) {
            assertEchoes(((java.net.InetSocketAddress) echo.server().localAddress()).getPort());
        }
    }

    /** What the README promises: {@code openssl s_client -connect 127.0.0.1:PORT} talks to it. */
    @Test
    void opensslSClientTalksToTheTlsEcho() throws Exception {
        try (ReactorEcho echo = new ReactorEcho("127.0.0.1", 0, 1, certificate.serverOptions().build())) {
            Process openssl;
            try {
                openssl = new ProcessBuilder(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + echo.server().port(), "-quiet"))
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            } catch (java.io.IOException e) {
                throw new AssertionError("openssl is needed for this test (.ci/run installs it): " + e.getMessage(), e);
            }
            try {
                OutputStream stdin = openssl.getOutputStream();
                stdin.write("hello over tls\n".getBytes(StandardCharsets.US_ASCII));
                stdin.flush();
                BufferedReader stdout = new BufferedReader(new InputStreamReader(openssl.getInputStream(), StandardCharsets.US_ASCII));
                String line = CompletableFuture.supplyAsync(() -> {
                    try {
                        return stdout.readLine();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).get(30, TimeUnit.SECONDS);
                assertThat(line).isEqualTo("hello over tls");
            } finally {
                openssl.destroy();
                openssl.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void assertEchoes(int port) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("echo", certificate.certificate());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            byte[] message = "tls echo\n".repeat(5000).getBytes(StandardCharsets.US_ASCII);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(message);
                    out.flush();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            InputStream in = socket.getInputStream();
            byte[] back = in.readNBytes(message.length);
            writer.get(20, TimeUnit.SECONDS);
            assertThat(back).isEqualTo(message);
            assertThat(socket.getSession().getPeerCertificates()[0]).isEqualTo(certificate.certificate());
        }
    }
}

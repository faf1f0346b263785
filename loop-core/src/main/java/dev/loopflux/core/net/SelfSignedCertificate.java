package dev.loopflux.core.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made at run time with the
 * JDK's {@code keytool} (the JDK has no public API to sign a certificate; Netty's class of the
 * same name uses internal APIs). The key store keytool writes is loaded and deleted at once, so
 * no private key is left on disk. For tests, samples and benchmarks, never for production: a
 * client trusts it only when told to ({@link #clientOptions()}); {@code openssl s_client} reports
 * that it cannot verify it, and talks on.
 *
 * <p>Immutable and thread-safe.
 */
public final class SelfSignedCertificate {
    private static final char[] PASSWORD = "loopflux".toCharArray();

    private final PrivateKey key;
    private final X509Certificate certificate;

    private SelfSignedCertificate(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /**
     * Makes a new key and certificate: an EC P-256 key, valid for 30 days, for {@code localhost}
     * and {@code 127.0.0.1}. Runs {@code keytool} and waits for it (about a second): call it at
     * start, never on a loop thread.
     *
     * @throws IOException if keytool cannot be run or fails
     */
    public static SelfSignedCertificate create() throws IOException {
        Path dir = Files.createTempDirectory("loopflux-selfsigned");
        Path store = dir.resolve("key.p12");
        try {
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "loopflux",
                    "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "30",
                    "-storetype", "PKCS12", "-keystore", store.toString(),
                    "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)))
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("keytool could not make a certificate: " + output.strip());
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, PASSWORD);
            }
            return new SelfSignedCertificate((PrivateKey) ks.getKey("loopflux", PASSWORD), (X509Certificate) ks.getCertificate("loopflux"));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the certificate keytool made: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making a certificate", e);
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(dir);
        }
    }

    public PrivateKey key() {
        return key;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Server options presenting this certificate. */
    public TlsOptions.Builder serverOptions() {
        return TlsOptions.server(key, certificate);
    }

    /** Client options trusting this certificate only. */
    public TlsOptions.Builder clientOptions() {
        return TlsOptions.client().trust(certificate);
    }
}

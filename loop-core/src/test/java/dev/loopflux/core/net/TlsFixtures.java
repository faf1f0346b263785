package dev.loopflux.core.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Keys and certificates made at test time with the JDK's {@code keytool} (no private key is
 * committed): a CA, server certificates it signs (for 127.0.0.1 and localhost, for another host,
 * expired), a client certificate, and a self-signed certificate nobody trusts. Made once per JVM,
 * in a temporary directory removed at exit.
 */
final class TlsFixtures {
    static final String PASSWORD = "changeit";

    /** A key with its certificate chain, and the files behind them (PEM, for openssl). */
    record Identity(PrivateKey key, X509Certificate[] chain, Path keyStore, Path certificatePem, Path keyPem) {
        X509Certificate certificate() {
            return chain[0];
        }
    }

    private static final ConcurrentHashMap<String, Identity> IDENTITIES = new ConcurrentHashMap<>();
    private static volatile Path dir;

    private TlsFixtures() {
    }

    /** The CA that signs the server and client certificates. */
    static Identity ca() {
        return identity("ca", () -> {
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Loopflux Test CA",
                    "-ext", "bc:c", "-validity", "30", "-keystore", path("ca.p12"));
            return load("ca");
        });
    }

    /** Signed by {@link #ca()}, for 127.0.0.1 and localhost. */
    static Identity server() {
        return signed("server", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1", null, "30");
    }

    /** Signed by {@link #ca()}, for another host only. */
    static Identity wrongHost() {
        return signed("wronghost", "CN=elsewhere.example", "SAN=dns:elsewhere.example", null, "30");
    }

    /** Signed by {@link #ca()}, for 127.0.0.1 and localhost, expired days ago. */
    static Identity expired() {
        return signed("expired", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1", "-10d", "2");
    }

    /** Signed by {@link #ca()}: a client's certificate. */
    static Identity client() {
        return signed("client", "CN=test client", null, null, "30");
    }

    /** Self-signed, for 127.0.0.1 and localhost, trusted by nobody. */
    static Identity untrusted() {
        return identity("untrusted", () -> {
            keytool("-genkeypair", "-alias", "untrusted", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "30", "-keystore", path("untrusted.p12"));
            return load("untrusted");
        });
    }

    /** Server options with {@link #server()}'s key. */
    static TlsOptions.Builder serverOptions() {
        Identity server = server();
        return TlsOptions.server(server.key(), server.chain());
    }

    /** Client options trusting {@link #ca()}. */
    static TlsOptions.Builder clientOptions() {
        return TlsOptions.client().trust(ca().certificate());
    }

    /** A JDK context with {@code identity}'s key (or none) that trusts {@link #ca()}. */
    static SSLContext jdkContext(Identity identity) {
        try {
            KeyManagerFactory kmf = null;
            if (identity != null) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("key", identity.key(), PASSWORD.toCharArray(), identity.chain());
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, PASSWORD.toCharArray());
            }
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca().certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Identity signed(String name, String dname, String san, String startDate, String validity) {
        return identity(name, () -> {
            ca();
            keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
                    "-validity", "30", "-keystore", path(name + ".p12"));
            keytool("-certreq", "-alias", name, "-keystore", path(name + ".p12"), "-file", path(name + ".csr"));
            List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", path("ca.p12"),
                    "-infile", path(name + ".csr"), "-outfile", path(name + ".crt"), "-rfc", "-validity", validity));
            if (san != null) {
                gencert.addAll(List.of("-ext", san));
            }
            if (startDate != null) {
                gencert.addAll(List.of("-startdate", startDate));
            }
            keytool(gencert.toArray(new String[0]));
            keytool("-exportcert", "-alias", "ca", "-keystore", path("ca.p12"), "-rfc", "-file", path("ca.crt"));
            keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", path(name + ".p12"), "-file", path("ca.crt"));
            keytool("-importcert", "-noprompt", "-alias", name, "-keystore", path(name + ".p12"), "-file", path(name + ".crt"));
            return load(name);
        });
    }

    private interface Maker {
        Identity make() throws Exception;
    }

    private static Identity identity(String name, Maker maker) {
        Identity existing = IDENTITIES.get(name);
        if (existing != null) {
            return existing;
        }
        synchronized (TlsFixtures.class) {
            existing = IDENTITIES.get(name);
            if (existing != null) {
                return existing;
            }
            try {
                Identity made = maker.make();
                IDENTITIES.put(name, made);
                return made;
            } catch (Exception e) {
                throw new IllegalStateException("cannot make the test identity '" + name + "'", e);
            }
        }
    }

    /** Loads {@code name.p12}, and writes its certificate and key as PEM for openssl. */
    private static Identity load(String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        Path file = Path.of(path(name + ".p12"));
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey(name, PASSWORD.toCharArray());
        Certificate[] chain = ks.getCertificateChain(name);
        X509Certificate[] x509 = new X509Certificate[chain.length];
        for (int i = 0; i < chain.length; i++) {
            x509[i] = (X509Certificate) chain[i];
        }
        Path certPem = Path.of(path(name + ".pem"));
        Files.writeString(certPem, pem("CERTIFICATE", x509[0].getEncoded()));
        Path keyPem = Path.of(path(name + ".key"));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
        return new Identity(key, x509, file, certPem, keyPem);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static String path(String file) {
        return directory().resolve(file).toString();
    }

    private static Path directory() {
        Path d = dir;
        if (d == null) {
            synchronized (TlsFixtures.class) {
                d = dir;
                if (d == null) {
                    try {
                        d = Files.createTempDirectory("loopflux-tls");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    Path toDelete = d;
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(toDelete)));
                    dir = d;
                }
            }
        }
        return d;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>();
        command.add(keytool.toString());
        // keytool is a short-lived JVM: a third of its time is start-up and JIT; these cut it
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData"));
        command.addAll(List.of(args));
        command.addAll(List.of("-storepass", PASSWORD, "-storetype", "PKCS12"));
        if (List.of(args).contains("-genkeypair")) {
            command.addAll(List.of("-keypass", PASSWORD));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }
}

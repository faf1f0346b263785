package dev.loopflux.bench.echo;

import dev.loopflux.core.net.TlsOptions;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The echo benchmark's TLS setup, the same for every server: one EC P-256 key with a self-signed
 * certificate for {@code localhost} and {@code 127.0.0.1}, made at run time by the JDK's
 * {@code keytool} into a PKCS12 file in a temporary directory (no private key is committed), TLS
 * 1.3 only, and one cipher suite, {@value #CIPHER}. Every server runs on the JDK's own TLS
 * implementation (SunJSSE's {@link SSLEngine}): Loopflux always does, and the Netty servers are
 * built with {@link SslProvider#JDK}.
 *
 * <p>The harness makes the key store once ({@link #generate()}) and hands its path to each server
 * JVM ({@code EchoServerMain --tls PATH}), which loads it ({@link #load(Path)}); the load client
 * trusts exactly this certificate ({@link #clientContext()}).
 */
final class EchoTls {
    static final String PROTOCOL = "TLSv1.3";
    static final String CIPHER = "TLS_AES_128_GCM_SHA256";
    /** Protects a throwaway key store that lives in a temporary directory for one run. */
    private static final char[] PASSWORD = "loopflux-echo-bench".toCharArray();
    private static final String ALIAS = "echo";
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    final Path keyStore;
    final PrivateKey key;
    final X509Certificate certificate;

    private EchoTls(Path keyStore, PrivateKey key, X509Certificate certificate) {
        this.keyStore = keyStore;
        this.key = key;
        this.certificate = certificate;
    }

    /** A new key and self-signed certificate in a temporary directory that is removed when this JVM exits. */
    static EchoTls generate() throws IOException {
        Path dir = Files.createTempDirectory("loopflux-echo-tls");
        Path file = dir.resolve("echo.p12");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temporary directory; nothing else to do
            }
        }));
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(keytool, "-genkeypair", "-noprompt", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "7",
                "-storetype", "PKCS12", "-keystore", file.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true)
                .start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("keytool failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        }
        return load(file);
    }

    /** The key and certificate in a key store made by {@link #generate()}. */
    static EchoTls load(Path keyStore) throws IOException {
        try (InputStream in = Files.newInputStream(keyStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD);
            PrivateKey key = (PrivateKey) store.getKey(ALIAS, PASSWORD);
            X509Certificate certificate = (X509Certificate) store.getCertificate(ALIAS);
            if (key == null || certificate == null) {
                throw new IOException("no key '" + ALIAS + "' in " + keyStore);
            }
            return new EchoTls(keyStore, key, certificate);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key store " + keyStore + ": " + e.getMessage(), e);
        }
    }

    /** Loopflux's server options: this key, TLS 1.3, {@value #CIPHER}; reports its provider (see {@link #reportEngine}). */
    TlsOptions loopfluxServer(String impl) {
        TlsOptions options = TlsOptions.server(key, certificate).protocols(PROTOCOL).cipherSuites(CIPHER).build();
        report(impl, "SSLContext provider " + options.context().getProvider().getName() + ", protocols " + options.protocols()
                + ", cipher suites " + options.cipherSuites());
        return options;
    }

    /** Netty's server context: this key, the JDK provider, TLS 1.3, {@value #CIPHER}. */
    SslContext nettyServer() throws SSLException {
        return configureNetty(SslContextBuilder.forServer(key, certificate)).build();
    }

    /** What both Netty servers set on their builder (Reactor Netty's {@code TcpSslContextSpec} applies it after its defaults). */
    static SslContextBuilder configureNetty(SslContextBuilder builder) {
        return builder.sslProvider(SslProvider.JDK).protocols(PROTOCOL).ciphers(List.of(CIPHER));
    }

    /** A client context that trusts this certificate and nothing else. */
    SSLContext clientContext() {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("echo", certificate);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make the client's TLS context: " + e.getMessage(), e);
        }
    }

    /** A client engine for 127.0.0.1:{@code port}: TLS 1.3, {@value #CIPHER}, the certificate checked against the address. */
    static SSLEngine clientEngine(SSLContext context, int port) {
        SSLEngine engine = context.createSSLEngine("127.0.0.1", port);
        engine.setUseClientMode(true);
        engine.setSSLParameters(clientParameters(engine.getSSLParameters()));
        return engine;
    }

    /** The client's parameters: TLS 1.3, {@value #CIPHER}, the server's certificate checked against the address connected to. */
    static SSLParameters clientParameters(SSLParameters params) {
        params.setProtocols(new String[] {PROTOCOL});
        params.setCipherSuites(new String[] {CIPHER});
        params.setEndpointIdentificationAlgorithm("HTTPS");
        return params;
    }

    /** Reports once per server JVM, on standard error, which TLS engine the server really runs (Netty's: on the first connection). */
    static void reportEngine(String impl, Object engine) {
        report(impl, "engine " + engine.getClass().getName());
    }

    private static void report(String impl, String what) {
        if (REPORTED.compareAndSet(false, true)) {
            System.err.println("[" + impl + " echo server] TLS " + what);
        }
    }
}

package dev.loopflux.core.net;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for a {@link TcpServer} or a {@link TcpClient}, given to them through
 * {@link TcpOptions.Builder#tls(TlsOptions)}. The loop drives a {@link SSLEngine} per connection:
 * the handshake runs on readiness events, the engine's delegated tasks (certificate checks, key
 * exchange) run on {@link dev.loopflux.core.BlockingPool#shared()}, never on the loop.
 *
 * <pre>{@code
 * TcpOptions server = TcpOptions.builder()
 *         .tls(TlsOptions.server(privateKey, certificate).applicationProtocols("h2", "http/1.1").build())
 *         .build();
 * TcpOptions client = TcpOptions.builder()
 *         .tls(TlsOptions.client().trust(caCertificate).serverName("example.test").build())
 *         .build();
 * }</pre>
 *
 * <p>What the connection does with it:
 * <ul>
 *   <li>A client's connect emits the connection once the handshake is done; a handshake that
 *   fails is the connect's {@code onError}. A server emits each connection at accept, as for
 *   plain TCP; its inbound starts once the handshake is done, and a handshake that fails is
 *   {@code onError} on the inbound and on every send, and the connection closes.</li>
 *   <li>Failures are {@link TlsException}s (a {@link TlsHandshakeException} during the
 *   handshake, a {@link TlsHandshakeTimeoutException} past {@link #handshakeTimeout()}) whose
 *   message names the peer and what went wrong, with the engine's {@link javax.net.ssl.SSLException}
 *   as the cause. With TLS 1.3 a client is done with the handshake before the server has judged
 *   it: a server that refuses the client's certificate fails the client's first read, with a
 *   {@link TlsHandshakeException} too.</li>
 *   <li>{@link Connection#shutdownOutput()} sends {@code close_notify} after the pending bytes,
 *   then shuts the socket's output down; the peer's {@code close_notify} is the inbound's
 *   {@code onComplete}. Half-close (reading on after either side sent {@code close_notify}) needs
 *   TLS 1.3; with TLS 1.2 the engine answers the peer's {@code close_notify} and the connection
 *   ends. {@link Connection#close()} sends {@code close_notify} if the socket takes it at once,
 *   then closes.</li>
 *   <li>A peer that closes the TCP connection without {@code close_notify} is an error
 *   (a truncation attack cannot be told from it) unless {@link #allowTruncation()}; a record cut
 *   short is an error always.</li>
 *   <li>Renegotiation (TLS 1.2) is refused: the connection fails with a {@link TlsException}.</li>
 * </ul>
 *
 * <p>Immutable and thread-safe; a {@link Builder} is not.
 */
public final class TlsOptions {
    /** Whether a server asks the client for a certificate. */
    public enum ClientAuth {
        /** The server does not ask. */
        NONE,
        /** The server asks; a client without a certificate is accepted, one with a bad certificate is not. */
        OPTIONAL,
        /** The server asks; a client without a trusted certificate fails the handshake. */
        REQUIRE
    }

    private final boolean server;
    private final SSLContext context;
    private final List<String> protocols;
    private final List<String> cipherSuites;
    private final List<String> applicationProtocols;
    private final ClientAuth clientAuth;
    private final String serverName;
    private final boolean hostnameVerification;
    private final Duration handshakeTimeout;
    private final boolean allowTruncation;

    private TlsOptions(Builder b, SSLContext context) {
        this.server = b.server;
        this.context = context;
        this.protocols = b.protocols;
        this.cipherSuites = b.cipherSuites;
        this.applicationProtocols = b.applicationProtocols;
        this.clientAuth = b.clientAuth;
        this.serverName = b.serverName;
        this.hostnameVerification = b.hostnameVerification;
        this.handshakeTimeout = b.handshakeTimeout;
        this.allowTruncation = b.allowTruncation;
    }

    /** A server whose key and certificates are in {@code context}. */
    public static Builder server(SSLContext context) {
        Builder b = new Builder(true);
        b.context = Objects.requireNonNull(context, "context");
        return b;
    }

    /** A server with this key and certificate chain (the server's own certificate first). */
    public static Builder server(PrivateKey key, X509Certificate... chain) {
        return new Builder(true).keyMaterial(key, chain);
    }

    /** A server whose key comes from {@code keyManagers} (a key store, say). */
    public static Builder server(KeyManagerFactory keyManagers) {
        Builder b = new Builder(true);
        b.keyManagers = Objects.requireNonNull(keyManagers, "keyManagers");
        return b;
    }

    /** A client that trusts what the JDK trusts, unless told otherwise with {@link Builder#trust}. */
    public static Builder client() {
        return new Builder(false);
    }

    /** A client whose trust (and key, for client authentication) are in {@code context}. */
    public static Builder client(SSLContext context) {
        Builder b = new Builder(false);
        b.context = Objects.requireNonNull(context, "context");
        return b;
    }

    /** True for a server's options, false for a client's. */
    public boolean isServer() {
        return server;
    }

    /** The context engines are made from. */
    public SSLContext context() {
        return context;
    }

    /** Protocol versions enabled. Default TLS 1.3 and TLS 1.2. */
    public List<String> protocols() {
        return protocols;
    }

    /** Cipher suites enabled; empty means the JDK's defaults. */
    public List<String> cipherSuites() {
        return cipherSuites;
    }

    /** ALPN: protocols offered (client) or accepted in order of preference (server); empty: no ALPN. */
    public List<String> applicationProtocols() {
        return applicationProtocols;
    }

    /** Server: whether the client is asked for a certificate. Default {@link ClientAuth#NONE}. */
    public ClientAuth clientAuth() {
        return clientAuth;
    }

    /**
     * Client: the name sent with SNI and checked against the server's certificate; null means the
     * host name of the address connected to.
     */
    public String serverName() {
        return serverName;
    }

    /** Client: whether the server's certificate must match the host name. Default true. */
    public boolean hostnameVerification() {
        return hostnameVerification;
    }

    /** How long the handshake may take before the connection fails with {@link TlsHandshakeTimeoutException}. Default 10 s. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * Whether a peer that closes the TCP connection without {@code close_notify} ends the inbound
     * cleanly ({@code onComplete}) rather than with a {@link TlsException}. Allow it only for
     * protocols that frame their own messages (HTTP with {@code Content-Length}, say), where a
     * truncated stream can be recognised above TLS. Default false.
     */
    public boolean allowTruncation() {
        return allowTruncation;
    }

    /** A new engine for one connection to or from {@code host}:{@code port} (host may be null). */
    SSLEngine newEngine(String host, int port) {
        SSLEngine engine = server || host == null ? context.createSSLEngine() : context.createSSLEngine(host, port);
        engine.setUseClientMode(!server);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(protocols.toArray(new String[0]));
        if (!cipherSuites.isEmpty()) {
            params.setCipherSuites(cipherSuites.toArray(new String[0]));
        }
        if (!applicationProtocols.isEmpty()) {
            params.setApplicationProtocols(applicationProtocols.toArray(new String[0]));
        }
        if (server) {
            params.setNeedClientAuth(clientAuth == ClientAuth.REQUIRE);
            if (clientAuth == ClientAuth.OPTIONAL) {
                params.setWantClientAuth(true);
            }
        } else {
            if (host != null && !isIpLiteral(host)) {
                params.setServerNames(List.of(new SNIHostName(host)));
            }
            if (hostnameVerification) {
                params.setEndpointIdentificationAlgorithm("HTTPS");
            }
        }
        engine.setSSLParameters(params);
        return engine;
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    @Override
    public String toString() {
        return "TlsOptions[" + (server ? "server" : "client") + ", protocols=" + protocols
                + (applicationProtocols.isEmpty() ? "" : ", alpn=" + applicationProtocols)
                + (server ? ", clientAuth=" + clientAuth : ", serverName=" + serverName + ", hostnameVerification=" + hostnameVerification)
                + ", handshakeTimeout=" + handshakeTimeout + "]";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private final boolean server;
        private SSLContext context;
        private KeyManagerFactory keyManagers;
        private TrustManagerFactory trustManagers;
        private List<String> protocols = List.of("TLSv1.3", "TLSv1.2");
        private List<String> cipherSuites = List.of();
        private List<String> applicationProtocols = List.of();
        private ClientAuth clientAuth = ClientAuth.NONE;
        private String serverName;
        private boolean hostnameVerification = true;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private boolean allowTruncation;

        private Builder(boolean server) {
            this.server = server;
        }

        /** The key and certificate chain this side presents (a client's, for client authentication). */
        public Builder keyMaterial(PrivateKey key, X509Certificate... chain) {
            Objects.requireNonNull(key, "key");
            if (chain == null || chain.length == 0) {
                throw new IllegalArgumentException("a certificate chain is needed with the key");
            }
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                char[] password = new char[0];
                store.setKeyEntry("key", key, password, chain);
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, password);
                this.keyManagers = factory;
            } catch (GeneralSecurityException | java.io.IOException e) {
                throw new IllegalArgumentException("cannot use this key and certificate chain: " + e.getMessage(), e);
            }
            return this;
        }

        /** Trusts exactly these certificates (self-signed ones, or the roots of a private CA). */
        public Builder trust(X509Certificate... certificates) {
            if (certificates == null || certificates.length == 0) {
                throw new IllegalArgumentException("no certificate to trust");
            }
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                for (int i = 0; i < certificates.length; i++) {
                    store.setCertificateEntry("trusted-" + i, Objects.requireNonNull(certificates[i], "certificate"));
                }
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(store);
                this.trustManagers = factory;
            } catch (GeneralSecurityException | java.io.IOException e) {
                throw new IllegalArgumentException("cannot trust these certificates: " + e.getMessage(), e);
            }
            return this;
        }

        /** Trust decided by {@code trustManagers}. */
        public Builder trust(TrustManagerFactory trustManagers) {
            this.trustManagers = Objects.requireNonNull(trustManagers, "trustManagers");
            return this;
        }

        /** @throws IllegalArgumentException if empty */
        public Builder protocols(String... protocols) {
            this.protocols = nonEmpty("protocols", protocols);
            return this;
        }

        public Builder cipherSuites(String... suites) {
            this.cipherSuites = List.of(suites);
            return this;
        }

        public Builder applicationProtocols(String... protocols) {
            this.applicationProtocols = List.of(protocols);
            return this;
        }

        /** @throws IllegalStateException on a client's builder */
        public Builder clientAuth(ClientAuth clientAuth) {
            if (!server) {
                throw new IllegalStateException("clientAuth is a server option");
            }
            this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
            return this;
        }

        /** @throws IllegalStateException on a server's builder */
        public Builder serverName(String serverName) {
            if (server) {
                throw new IllegalStateException("serverName is a client option");
            }
            this.serverName = Objects.requireNonNull(serverName, "serverName");
            return this;
        }

        /** @throws IllegalStateException on a server's builder */
        public Builder hostnameVerification(boolean verify) {
            if (server) {
                throw new IllegalStateException("hostnameVerification is a client option");
            }
            this.hostnameVerification = verify;
            return this;
        }

        /** @throws IllegalArgumentException unless positive */
        public Builder handshakeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "handshakeTimeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("handshakeTimeout not positive: " + timeout);
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        public Builder allowTruncation(boolean allow) {
            this.allowTruncation = allow;
            return this;
        }

        /**
         * @throws IllegalStateException if a server has no key, or a context was given together
         *     with key or trust material
         */
        public TlsOptions build() {
            SSLContext ctx = context;
            if (ctx != null) {
                if (keyManagers != null || trustManagers != null) {
                    throw new IllegalStateException("key or trust material given with an SSLContext: put them in the context");
                }
            } else {
                if (server && keyManagers == null) {
                    throw new IllegalStateException("a TLS server needs a key and certificate");
                }
                try {
                    ctx = SSLContext.getInstance("TLS");
                    ctx.init(keyManagers == null ? null : keyManagers.getKeyManagers(),
                            trustManagers == null ? null : trustManagers.getTrustManagers(), null);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("cannot make a TLS context: " + e.getMessage(), e);
                }
            }
            return new TlsOptions(this, ctx);
        }

        private static List<String> nonEmpty(String name, String[] values) {
            if (values == null || values.length == 0) {
                throw new IllegalArgumentException(name + " is empty");
            }
            return List.of(values);
        }
    }
}

package io.runwatch.metrics;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The web config file that Prometheus exporters read ({@code --web-config-file}), the subset runwatch serves:
 * <pre>
 * tls_server_config:
 *   cert_file: server.crt      # PEM, the server certificate (and its chain)
 *   key_file: server.key       # PEM, PKCS#8 ("BEGIN PRIVATE KEY"), RSA or EC
 * basic_auth_users:
 *   prometheus: $2y$10$...     # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
 * </pre>
 * Either part may be absent. Relative file names are resolved against the config file's folder, as the
 * exporters do. Unknown keys are refused: a misspelt key must not leave an endpoint open.
 */
public final class WebConfig {
    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class FileFormat {
        @JsonProperty("tls_server_config")
        Tls tls;
        @JsonProperty("basic_auth_users")
        Map<String, String> users = new LinkedHashMap<>();
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    static final class Tls {
        @JsonProperty("cert_file")
        String certFile;
        @JsonProperty("key_file")
        String keyFile;
    }

    private final SSLContext ssl;
    /** For asking the other instances (queries forwarded to a run's owner): trusts our certificate and the JVM's CAs. */
    private final SSLContext peerSsl;
    private final Map<String, String> users;
    /** SHA-256 of user:password pairs already verified: bcrypt costs ~50-100 ms, a scrape every 15 s should not. */
    private final Set<String> verified = ConcurrentHashMap.newKeySet();

    private WebConfig(SSLContext[] ssl, Map<String, String> users) {
        this.ssl = ssl == null ? null : ssl[0];
        this.peerSsl = ssl == null ? null : ssl[1];
        this.users = Map.copyOf(users);
    }

    /** No TLS, no authentication: the default. */
    public static WebConfig none() {
        return new WebConfig(null, Map.of());
    }

    /** Reads and checks the file; an IllegalArgumentException says what is wrong with it, naming the file. */
    public static WebConfig load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        FileFormat format;
        try {
            ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
            format = bytes.length == 0 ? new FileFormat()
                    : yaml.readValue(new ByteArrayInputStream(bytes), FileFormat.class);
            if (format == null) {
                format = new FileFormat();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("web config " + file + ": " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()), e);
        }
        Map<String, String> users = format.users == null ? Map.of() : format.users;
        for (Map.Entry<String, String> user : users.entrySet()) {
            String hash = user.getValue();
            if (hash == null || !hash.matches("\\$2[abxy]?\\$\\d\\d\\$[./A-Za-z0-9]{53}")) {
                throw new IllegalArgumentException("web config " + file + ": basic_auth_users." + user.getKey()
                        + " is not a bcrypt hash");
            }
        }
        SSLContext[] ssl = null;
        if (format.tls != null) {
            if (format.tls.certFile == null || format.tls.keyFile == null) {
                throw new IllegalArgumentException("web config " + file
                        + ": tls_server_config needs both cert_file and key_file");
            }
            Path base = file.toAbsolutePath().getParent();
            ssl = sslContext(base.resolve(format.tls.certFile), base.resolve(format.tls.keyFile));
        }
        return new WebConfig(ssl, users);
    }

    public boolean tls() {
        return ssl != null;
    }

    SSLContext sslContext() {
        return ssl;
    }

    /**
     * The client side for the other instances, null without TLS: trusts this instance's own certificate (they all
     * serve one, from the same secret) besides the JVM's CAs, and verifies the host name, so the certificate must
     * name every instance's {@code application.server} host (e.g. {@code *.runwatch.NAMESPACE.svc.cluster.local}).
     */
    public SSLContext peerSslContext() {
        return peerSsl;
    }

    public boolean basicAuth() {
        return !users.isEmpty();
    }

    /** True when the user exists and the password matches its bcrypt hash. */
    public boolean authenticate(String user, String password) {
        String hash = users.get(user);
        if (hash == null || password == null) {
            return false;
        }
        String key = sha256(user + "\0" + password + "\0" + hash);
        if (verified.contains(key)) {
            return true;
        }
        boolean ok = BCrypt.verifyer().verify(password.getBytes(StandardCharsets.UTF_8),
                hash.getBytes(StandardCharsets.UTF_8)).verified;
        if (ok && verified.size() < 64) {
            verified.add(key);
        }
        return ok;
    }

    /** The server context and the peer (client) context. */
    private static SSLContext[] sslContext(Path certFile, Path keyFile) throws IOException {
        try {
            Collection<? extends Certificate> chain;
            try (var in = Files.newInputStream(certFile)) {
                chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("web config: no certificate in " + certFile);
            }
            PrivateKey key = privateKey(keyFile);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = new char[0];
            store.setKeyEntry("runwatch", key, password, chain.toArray(new Certificate[0]));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return new SSLContext[] {context, peerContext(chain)};
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("web config: cannot use " + certFile + " and " + keyFile + ": " + e, e);
        }
    }

    private static SSLContext peerContext(Collection<? extends Certificate> chain) throws GeneralSecurityException,
            IOException {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (Certificate certificate : chain) {
            trusted.setCertificateEntry("runwatch-" + i++, certificate);
        }
        TrustManagerFactory ours = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        ours.init(trusted);
        TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jvm.init((KeyStore) null);
        X509TrustManager own = (X509TrustManager) ours.getTrustManagers()[0];
        X509TrustManager defaults = (X509TrustManager) jvm.getTrustManagers()[0];
        X509TrustManager either = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] certificates, String auth) throws CertificateException {
                defaults.checkClientTrusted(certificates, auth);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] certificates, String auth) throws CertificateException {
                try {
                    own.checkServerTrusted(certificates, auth);
                } catch (CertificateException notOurs) {
                    defaults.checkServerTrusted(certificates, auth);
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return defaults.getAcceptedIssuers();
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {either}, null);
        return context;
    }

    private static PrivateKey privateKey(Path keyFile) throws IOException, GeneralSecurityException {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IllegalArgumentException("web config: " + keyFile + " is not a PKCS#8 PEM key (BEGIN PRIVATE "
                    + "KEY); convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pkcs8");
        }
        String base64 = pem.replaceAll("(?s).*-----BEGIN PRIVATE KEY-----", "")
                .replaceAll("(?s)-----END PRIVATE KEY-----.*", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException("web config: " + keyFile + " is neither an RSA, EC nor Ed25519 key");
    }

    private static String sha256(String text) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

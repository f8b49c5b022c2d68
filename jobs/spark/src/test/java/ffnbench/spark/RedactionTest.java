package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** What summary.json's spark_conf shows of each setting: secrets hidden by key and by value. */
class RedactionTest {
    static final String R = Redaction.REDACTED;

    @Test
    void secretsAreHiddenByKeyAndByValue() {
        String[][] cases = {
            // key, value, what is written
            {"spark.app.name", "ffnbench bench default", "ffnbench bench default"},
            {"spark.master", "spark://127.0.0.1:7077", "spark://127.0.0.1:7077"},
            {"spark.hadoop.fs.s3a.secret.key", "abc123", R},
            {"spark.authenticate.secret", "s3cr3t", R},
            {"spark.hadoop.fs.s3a.access.key", "AKIAIOSFODNN7EXAMPLE", R},
            {"spark.ssl.keyStorePassword", "pw", R},
            {"spark.hadoop.fs.azure.account.oauth2.client.credential", "c", R},
            {"spark.hadoop.fs.s3a.endpoint", "https://user:hunter2@host:9000/path", "https://" + R + "@host:9000/path"},
            {"spark.hadoop.fs.s3a.endpoint.plain", "https://host:9000/path", "https://host:9000/path"},
            {"spark.jars", "s3a://bob:pw@bucket/a.jar,file:/opt/b.jar", "s3a://" + R + "@bucket/a.jar,file:/opt/b.jar"},
            {"spark.hadoop.fs.azure.sas.container.account.blob.core.windows.net", "sv=2022-11-02&ss=b&sig=AbC%2Fd", R},
            {"spark.custom.url", "https://acct.blob.core.windows.net/c?sp=r&st=2026&sig=xyz", R},
            {"spark.executorEnv.NOTE", "uses AKIAIOSFODNN7EXAMPLE here", "uses " + R + " here"},
            {"spark.some.setting", "my password is x", R},                 // Spark's regex matches the value
            {"spark.user.id", "customer-4711-internal", "customer-" + R + "-internal"},   // spark.redaction.string.regex
            {"spark.redaction.string.regex", "4711", "4711"},
        };
        Map<String, String> conf = new TreeMap<>();
        for (String[] c : cases) conf.put(c[0], c[1]);
        Map<String, String> written = Redaction.of(conf);
        for (String[] c : cases) assertEquals(c[2], written.get(c[0]), c[0] + "=" + c[1]);
    }

    @Test
    void sparksOwnRedactionRegexIsUsedWhenSet() {
        Map<String, String> written = Redaction.of(Map.of("spark.redaction.regex", "(?i)internal", "spark.my.internal.thing", "v",
                "spark.other", "an internal value", "spark.plain", "v"));
        assertEquals(R, written.get("spark.my.internal.thing"));
        assertEquals(R, written.get("spark.other"));
        assertEquals("v", written.get("spark.plain"));
    }
}

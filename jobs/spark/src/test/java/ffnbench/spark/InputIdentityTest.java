package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ffnbench.data.TokenGenerator;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same tokens written twice have one fingerprint; other tokens of the same shape another. */
class InputIdentityTest {
    @TempDir
    Path tmp;

    private String write(String name, long seed) {
        SparkSession spark = TestSpark.session();
        String out = tmp.resolve(name).toString();
        TokenBatches.generate(spark, 12, 16, 64, TokenGenerator.Distribution.LLM, seed, 2).write().parquet(out);
        return out;
    }

    @Test
    void fingerprintFollowsTheValuesNotTheFileNames() {
        SparkSession spark = TestSpark.session();
        InputIdentity.Fingerprint a = InputIdentity.fingerprint(spark, write("a", 7));
        InputIdentity.Fingerprint again = InputIdentity.fingerprint(spark, write("again", 7));
        InputIdentity.Fingerprint other = InputIdentity.fingerprint(spark, write("other", 8));
        assertEquals(2, a.files());
        assertEquals(a, again, "the same data under other part-file names");
        assertNotEquals(a.sha256(), other.sha256());
    }
}

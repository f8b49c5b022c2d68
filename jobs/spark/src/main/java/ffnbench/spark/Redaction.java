package ffnbench.spark;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * Hides secrets in the Spark settings that a run writes out ({@code summary.json}'s {@code spark_conf}),
 * by key and by value:
 * <ul>
 *   <li>a key naming a secret (secret, password, token, credential, key), or a key or value matching
 *       Spark's own {@code spark.redaction.regex}: the whole value;</li>
 *   <li>a SAS token (a value holding {@code sig=}): the whole value;</li>
 *   <li>the user information of a URL ({@code scheme://user:password@host}), AWS access key ids
 *       ({@code AKIA…}/{@code ASIA…}), and what matches {@code spark.redaction.string.regex}: that part.</li>
 * </ul>
 */
public final class Redaction {
    private Redaction() {}

    public static final String REDACTED = "*********(redacted)";
    private static final Pattern SECRET_KEY = Pattern.compile("(?i)secret|password|token|credential|key");
    /** Spark's default for spark.redaction.regex. */
    private static final String SPARK_DEFAULT = "(?i)secret|password|token|access[.]?key";
    private static final Pattern SAS_TOKEN = Pattern.compile("(?i)(^|[?&\\s])sig=");
    private static final Pattern URL_USERINFO = Pattern.compile("(?i)([a-z][a-z0-9+.-]*://)[^/@\\s]+@");
    private static final Pattern AWS_KEY_ID = Pattern.compile("\\b(AKIA|ASIA)[A-Z0-9]{16}\\b");

    /** The settings of {@code conf}, sorted by key, secrets redacted. */
    public static Map<String, String> of(SparkConf conf) {
        Map<String, String> all = new TreeMap<>();
        for (scala.Tuple2<String, String> kv : conf.getAll()) all.put(kv._1(), kv._2());
        return of(all);
    }

    /** {@code settings} (sorted by key) with secrets redacted, using their own spark.redaction.* patterns. */
    public static Map<String, String> of(Map<String, String> settings) {
        Pattern whole = Pattern.compile(settings.getOrDefault("spark.redaction.regex", SPARK_DEFAULT));
        String partial = settings.get("spark.redaction.string.regex");
        Pattern part = partial == null || partial.isEmpty() ? null : Pattern.compile(partial);
        Map<String, String> out = new TreeMap<>();
        settings.forEach((key, value) -> out.put(key, redact(key, value, whole, part)));
        return out;
    }

    static String redact(String key, String value, Pattern whole, Pattern part) {
        if (value == null) return null;
        if (key.startsWith("spark.redaction.")) return value;   // the patterns themselves
        if (SECRET_KEY.matcher(key).find() || whole.matcher(key).find() || whole.matcher(value).find()
                || SAS_TOKEN.matcher(value).find()) {
            return REDACTED;
        }
        String v = URL_USERINFO.matcher(value).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + REDACTED + "@"));
        v = AWS_KEY_ID.matcher(v).replaceAll(Matcher.quoteReplacement(REDACTED));
        if (part != null) v = part.matcher(v).replaceAll(Matcher.quoteReplacement(REDACTED));
        return v;
    }
}

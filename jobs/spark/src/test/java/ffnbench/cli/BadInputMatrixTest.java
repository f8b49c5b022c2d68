package ffnbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.data.Npy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input, one row each: config, Parquet, .npy, checkpoint and command line. Every row must end
 * with exit code 2 and one error line that names the problem (the field, file or tensor given in
 * {@code names}), with no stack trace, no new output, and the earlier results in the output
 * directory intact. A new command or input kind joins by adding rows.
 */
class BadInputMatrixTest {
    @TempDir
    static Path dir;

    /** The suite's session first: a command that starts Spark would otherwise make one without its task retries. */
    @org.junit.jupiter.api.BeforeAll
    static void suiteSession() {
        ffnbench.spark.TestSpark.session();
    }

    /** A bad input: what it is, the files it needs, the command line, and what the error must name. */
    record Row(String what, Setup setup, String[] args, String... names) {
        @Override
        public String toString() {
            return what;
        }
    }

    interface Setup {
        void in(Path dir) throws Exception;
    }

    static final String CONFIG = """
            {"name": "bad", "output": "%s", "data": {"sequences": 2, "seq_len": 4}, "shards": 1,
             "models": [{"name": "m", "source": "preset:llama", "set": {"d_model": 64, "heads": 4, "d_ff": 96},
                         "formulations": ["serial"]}],
             "iterations": {"warmup": 0, "measured": 1}}""";

    static Path path(String name) {
        return dir.resolve(name);
    }

    static String p(String name) {
        return path(name).toString();
    }

    static String[] bench(String... extra) {
        return Stream.concat(Stream.of("bench", "--config", p("good.json"), "--master", "local[1]"), Stream.of(extra))
                .toArray(String[]::new);
    }

    static String[] args(String... a) {
        return a;
    }

    static final Setup NOTHING = d -> { };

    static Stream<Row> rows() {
        return Stream.of(
                // config
                new Row("unknown config field", NOTHING, bench("--set", "iterations.measurd=3"), "measurd"),
                new Row("zero seq_len", NOTHING, bench("--set", "data.seq_len=0"), "seq_len"),
                new Row("sequences beyond a long", NOTHING, bench("--set", "data.sequences=100000000000000000000"), "sequences"),
                new Row("sweep beyond the case cap", NOTHING, bench("--set", "models.0.set.d_ff=" + values(200, 96),
                        "--set", "data.seq_len=" + values(100, 4)), "20000 cases", "10000"),
                new Row("study id '.'", NOTHING, bench("--study", "."), "study"),
                new Row("study id with a path separator", NOTHING, bench("--study", "a/b"), "study"),
                new Row("unknown FFN variant", NOTHING, bench("--set", "models.0.variants=[\"swishy\"]"), "swishy"),
                new Row("unknown formulation", NOTHING, bench("--set", "models.0.formulations=[\"diagonal\"]"), "diagonal"),
                new Row("config file that is not JSON", d -> Files.writeString(d.resolve("broken.json"), "{\"name\": "),
                        args("bench", "--config", p("broken.json")), p("broken.json")),
                new Row("missing config file", NOTHING, args("bench", "--config", p("absent.json")), p("absent.json")),
                // Parquet
                new Row("0-byte Parquet input", d -> Files.write(d.resolve("empty.parquet"), new byte[0]),
                        bench("--set", "data.input=\"" + p("empty.parquet") + "\""), p("empty.parquet")),
                new Row("Parquet input that is text", d -> Files.writeString(d.resolve("text.parquet"), "seq_id,hidden\n1,2\n"),
                        bench("--set", "data.input=\"" + p("text.parquet") + "\""), p("text.parquet")),
                new Row("Parquet input without the token columns",
                        d -> ffnbench.spark.TestSpark.session().range(3).write().parquet(d.resolve("range.parquet").toString()),
                        bench("--set", "data.input=\"" + p("range.parquet") + "\""), "seq_id"),
                new Row("export-npy of a missing Parquet", NOTHING, args("export-npy", "--input", p("nothing.parquet"),
                        "--output", p("x.npy")), p("nothing.parquet")),
                // .npy
                new Row("truncated .npy", d -> Files.write(d.resolve("short.npy"), java.util.Arrays.copyOf(npy(2, 64), 100)),
                        args("import-npy", "--input", p("short.npy"), "--output", p("t.parquet")), p("short.npy")),
                new Row(".npy that is not .npy", d -> Files.writeString(d.resolve("fake.npy"), "not an array"),
                        args("forward", "--model", "minilm", "--input", p("fake.npy"), "--output", p("y.npy")), p("fake.npy")),
                new Row(".npy of the wrong width", d -> Files.write(d.resolve("w.npy"), npy(2, 64)),
                        args("forward", "--model", "minilm", "--input", p("w.npy"), "--output", p("y.npy")), "384"),
                new Row(".npy with NaN", d -> {
                    float[] x = new float[2 * 384];
                    x[7] = Float.NaN;
                    Npy.write(d.resolve("nan.npy"), new long[] {2, 384}, x);
                }, args("forward", "--model", "minilm", "--part", "mlp", "--input", p("nan.npy"), "--output", p("y.npy")), "NaN"),
                // checkpoint
                new Row("checkpoint config.json that is not JSON", d -> {
                    Files.createDirectories(d.resolve("ckpt"));
                    Files.writeString(d.resolve("ckpt/config.json"), "{\"model_type\": \"llama\", \"hidden_si");
                    Files.write(d.resolve("ckpt/model.safetensors"), new byte[0]);
                }, args("forward", "--model", p("ckpt"), "--input", p("w.npy"), "--output", p("y.npy")), p("ckpt/config.json")),
                new Row("checkpoint without weights", d -> {
                    Files.createDirectories(d.resolve("ckpt2"));
                    Files.writeString(d.resolve("ckpt2/config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,"
                            + "\"intermediate_size\":96,\"num_attention_heads\":4,\"num_hidden_layers\":1}");
                }, args("forward", "--model", p("ckpt2"), "--input", p("w.npy"), "--output", p("y.npy")), p("ckpt2")),
                new Row("model that does not exist", NOTHING,
                        args("forward", "--model", p("no-such-model"), "--input", p("w.npy"), "--output", p("y.npy")), p("no-such-model")),
                // command line
                new Row("unknown command", NOTHING, args("frobnicate"), "frobnicate"),
                new Row("unknown option", NOTHING, args("bench", "--confg", "x.json"), "--confg"),
                new Row("missing required option", NOTHING, args("forward", "--model", "minilm"), "--input"),
                new Row("unknown --part", NOTHING, args("forward", "--model", "minilm", "--part", "attention", "--input",
                        p("w.npy"), "--output", p("y.npy")), "attention"),
                new Row("forward output that exists", d -> Files.writeString(d.resolve("kept.npy"), "earlier"),
                        args("forward", "--model", "minilm", "--part", "mlp", "--input", p("w.npy"), "--output", p("kept.npy")),
                        p("kept.npy"), "--overwrite"),
                new Row("generate onto existing Parquet", d -> Files.createDirectories(d.resolve("tokens.parquet")),
                        args("generate", "--output", p("tokens.parquet")), p("tokens.parquet")),
                new Row("report of a missing run", NOTHING, args("report", p("no-run"), "--output", p("report")), p("no-run")),
                new Row("compare with a truncated summary.json", d -> {
                    Files.createDirectories(d.resolve("cut-run"));
                    Files.writeString(d.resolve("cut-run/summary.json"), "{\"format_version\": 2, \"cases\": [");
                }, args("compare", p("cut-run"), p("cut-run")), p("cut-run")));
    }

    /** A JSON list of {@code n} consecutive integers from {@code from}: a sweep of n points. */
    static String values(int n, int from) {
        return java.util.stream.IntStream.range(from, from + n).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    static byte[] npy(int rows, int cols) throws IOException {
        Path tmp = Files.createTempFile(dir, "x", ".npy");
        Npy.write(tmp, new long[] {rows, cols}, new float[rows * cols]);
        return Files.readAllBytes(tmp);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void isRefusedNamingTheProblem(Row row) throws Exception {
        Files.writeString(path("good.json"), CONFIG.formatted(p("runs").replace("\\", "/")));
        Path earlier = Files.createDirectories(path("runs/earlier"));
        Files.writeString(earlier.resolve("summary.json"), "{\"kept\": true}");
        if (!Files.exists(path("w.npy"))) Files.write(path("w.npy"), npy(2, 64));
        row.setup().in(dir);
        List<Path> before = listRuns();

        PrintStream oldErr = System.err, oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
        int code;
        try {
            code = Main.run(row.args());
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
        String message = err.toString();
        assertEquals(2, code, row.what() + ": " + message);
        for (String name : row.names()) assertTrue(message.contains(name), row.what() + " names " + name + ": " + message);
        assertFalse(message.contains("\tat "), row.what() + " without a stack trace: " + message);
        assertEquals(before, listRuns(), row.what() + ": no new run directory");
        assertEquals("{\"kept\": true}", Files.readString(earlier.resolve("summary.json")), row.what() + ": earlier results intact");
        assertFalse(Files.exists(path("y.npy")), row.what() + ": no output written");
    }

    static List<Path> listRuns() throws IOException {
        try (Stream<Path> s = Files.list(path("runs"))) {
            return s.sorted().toList();
        }
    }
}

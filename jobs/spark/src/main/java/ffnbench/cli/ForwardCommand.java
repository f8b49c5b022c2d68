package ffnbench.cli;

import ffnbench.data.Npy;
import ffnbench.math.Gemm;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.Part;
import ffnbench.model.Site;
import ffnbench.model.SiteCapture;
import ffnbench.model.TransformerLayer;
import ffnbench.weights.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code forward}: one layer over input tokens, outputs (and optionally intermediate sites) to .npy. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Run one layer of a model over input tokens and write the outputs.",
            "Use it to check ffnbench against PyTorch or NumPy. Runs in-process, no cluster needed."})
public final class ForwardCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "minilm (built-in real weights), a Hugging Face checkpoint directory "
                    + "(config.json + *.safetensors: llama, bert, gpt2, gpt_neox), or preset:<bert|gpt2|llama|neox|minilm> "
                    + "for seeded random weights.")
    String model;

    @Option(names = "--layer", defaultValue = "0", paramLabel = "N", description = "Layer index (default: ${DEFAULT-VALUE}).")
    int layer;

    @Option(names = "--part", defaultValue = "block", paramLabel = "block|mlp",
            description = "block: the whole layer; mlp: the MLP sublayer alone, no norm, no residual (default: ${DEFAULT-VALUE}).")
    String part;

    @Option(names = "--formulation", defaultValue = "serial", paramLabel = "F",
            description = "serial (the model's own), parallel (one shared norm, fused input GEMM) or "
                    + "parallel-two-norms (GPT-NeoX); for --part block (default: ${DEFAULT-VALUE}).")
    String formulation;

    @Option(names = "--input", required = true, paramLabel = "x.npy",
            description = "float32/float16 .npy: [sequences, seq_len, d] (a [tokens, d] array is one sequence), "
                    + "or for --part mlp [tokens, d]; or token batches in Parquet (any seq_len per sequence; read with an "
                    + "embedded local Spark, in seq_id order).")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "y.npy|y.parquet",
            description = "A path ending in .npy: float32, the input's shape (Parquet input needs equal seq_len for that). "
                    + "Any other path: token batches in Parquet (seq_id, seq_len, d_model, hidden), one row per input "
                    + "sequence, for ragged Parquet input.")
    Path output;

    @Option(names = "--sites", paramLabel = "DIR",
            description = "Also write the intermediate tensors (attn_norm, attn_out, mlp_norm, ffn_preact, ffn_up, ffn_act, "
                    + "ffn_out, block_out) as DIR/<site>.npy, or DIR/<site>.parquet with a Parquet --output "
                    + "(its d_model column is then the site's width).")
    Path sites;

    @Option(names = "--overwrite", description = "Replace outputs that exist (default: refuse).")
    boolean overwrite;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for preset:<name> weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--set", paramLabel = "FIELD=VALUE",
            description = "Override a field of a preset model, e.g. --set d_model=512 --set ffn=swiglu. Fields: "
                    + ModelConfig.FIELDS + ".")
    Map<String, String> overrides = new LinkedHashMap<>();

    /** One input sequence: {@code hidden} is {@code [seqLen × d]}. */
    private record Sequence(long id, int seqLen, float[] hidden) { }

    @Override
    public Integer call() throws Exception {
        boolean mlpOnly = Part.parse(part) == Part.MLP;
        Formulation f = Formulation.parse(formulation);
        if (!Files.exists(input)) throw new IllegalArgumentException("--input " + input + " does not exist");
        boolean npyIn = input.toString().endsWith(".npy");
        boolean npyOut = output.toString().endsWith(".npy");
        if (npyOut) {
            Outputs.requireNew(output, overwrite);
        } else {
            Outputs.requireNewParquet(output.toString());
        }
        if (sites != null && Files.isDirectory(sites) && !overwrite) {
            try (var entries = Files.list(sites)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("--sites " + sites + " is not empty: remove it, choose another, or pass --overwrite");
                }
            }
        }

        ModelSource.Layer loaded = ModelSource.load(model, layer, seed, overrides);
        ModelConfig c = loaded.config();
        if (!mlpOnly) f.requireFits(c);
        int d = c.dModel();
        Npy.Array x = npyIn ? Npy.read(input) : null;
        List<Sequence> sequences = npyIn ? npySequences(x, d, mlpOnly) : parquetSequences(d);
        for (Sequence s : sequences) {
            for (float v : s.hidden()) {
                if (!Float.isFinite(v)) throw new IllegalArgumentException("--input " + input + " contains NaN or Inf values");
            }
        }
        if (npyOut && !npyIn && sequences.stream().mapToInt(Sequence::seqLen).distinct().count() > 1) {
            throw new IllegalArgumentException("--input " + input + " holds sequences of different lengths, which a .npy array "
                    + "cannot: give --output a Parquet path (e.g. " + output.toString().replaceAll("\\.npy$", ".parquet") + ")");
        }
        long tokens = sequences.stream().mapToLong(Sequence::seqLen).sum();
        System.err.printf("ffnbench forward: %s layer %d (%s, d=%d, d_ff=%d, ffn=%s), part=%s, formulation=%s, "
                        + "%d sequence(s), %d tokens, BLAS=%s%n", model, layer, c.arch(), d, c.dFf(), c.ffn(), part,
                f.id(), sequences.size(), tokens, ffnbench.backend.Blas.info().summary());

        TransformerLayer block = new TransformerLayer(c, loaded.weights());
        List<Sequence> outputs = new java.util.ArrayList<>();
        Map<Site, List<Sequence>> siteOutputs = new LinkedHashMap<>();
        for (Sequence s : sequences) {
            SiteCapture capture = new SiteCapture(sites == null ? EnumSet.noneOf(Site.class) : EnumSet.allOf(Site.class));
            float[] out = mlpOnly ? block.mlp(s.hidden(), s.seqLen(), capture) : block.forward(s.hidden(), s.seqLen(), f, capture);
            outputs.add(new Sequence(s.id(), s.seqLen(), out));
            capture.captured().forEach((site, captured) ->
                    siteOutputs.computeIfAbsent(site, k -> new java.util.ArrayList<>()).add(new Sequence(s.id(), s.seqLen(), captured.data())));
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (sites != null) Files.createDirectories(sites);
        long[] shape = npyIn ? x.shape() : new long[] {sequences.size(), sequences.get(0).seqLen(), d};
        write(output, npyOut, shape, outputs);
        for (Map.Entry<Site, List<Sequence>> e : siteOutputs.entrySet()) {
            int width = e.getValue().get(0).hidden().length / e.getValue().get(0).seqLen();
            long[] siteShape = shape.clone();
            siteShape[siteShape.length - 1] = width;
            write(sites.resolve(e.getKey().id() + (npyOut ? ".npy" : ".parquet")), npyOut, siteShape, e.getValue());
        }
        System.err.printf("ffnbench forward: wrote %s%s%n", output,
                sites == null ? "" : " and sites " + siteOutputs.keySet().stream().map(Site::id).toList() + " under " + sites);
        return 0;
    }

    /**
     * The sequences of a .npy array of {@code [sequences, seq_len, d]} or {@code [tokens, d]}; for the
     * MLP alone (per token) all tokens are one batch.
     */
    private List<Sequence> npySequences(Npy.Array x, int d, boolean mlpOnly) {
        if (x.rank() < 2 || x.rank() > 3 || x.dim(x.rank() - 1) != d) {
            throw new IllegalArgumentException("--input " + input + " has shape " + x + "; expected [sequences, seq_len, " + d
                    + "] or [tokens, " + d + "] for d_model " + d + " of " + model);
        }
        int count = x.rank() == 3 && !mlpOnly ? (int) x.dim(0) : 1;
        int seqLen = x.data().length / d / count;
        List<Sequence> out = new java.util.ArrayList<>();
        for (int s = 0; s < count; s++) {
            out.add(new Sequence(s, seqLen, java.util.Arrays.copyOfRange(x.data(), s * seqLen * d, (s + 1) * seqLen * d)));
        }
        return out;
    }

    /** Token batches from Parquet (via an embedded local Spark), in seq_id order. */
    private List<Sequence> parquetSequences(int d) {
        org.apache.spark.sql.SparkSession spark = ffnbench.spark.Sessions.getOrCreate("ffnbench forward", "local[1]");
        List<Sequence> out = new java.util.ArrayList<>();
        for (org.apache.spark.sql.Row r : ffnbench.spark.TokenBatches.read(spark, input.toString()).orderBy("seq_id").collectAsList()) {
            long id = r.getLong(0);
            int seqLen = r.getInt(1);
            if (r.getInt(2) != d) {
                throw new IllegalArgumentException("--input " + input + ": sequence " + id + " has d_model " + r.getInt(2)
                        + ", but " + model + " has d_model " + d);
            }
            List<Float> h = r.getList(3);
            if (h.size() != seqLen * d) {
                throw new IllegalArgumentException("--input " + input + ": sequence " + id + " holds " + h.size()
                        + " values, not seq_len × d_model = " + seqLen + " × " + d);
            }
            float[] hidden = new float[h.size()];
            for (int i = 0; i < hidden.length; i++) hidden[i] = h.get(i);
            out.add(new Sequence(id, seqLen, hidden));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--input " + input + " holds no sequences");
        return out;
    }

    /** Writes sequences as one .npy array of {@code npyShape}, or as token batches in Parquet. */
    private static void write(Path path, boolean npy, long[] npyShape, List<Sequence> sequences) throws java.io.IOException {
        if (npy) {
            int n = 0;
            for (Sequence s : sequences) n += s.hidden().length;
            float[] all = new float[n];
            int at = 0;
            for (Sequence s : sequences) {
                System.arraycopy(s.hidden(), 0, all, at, s.hidden().length);
                at += s.hidden().length;
            }
            Npy.write(path, npyShape, all);
            return;
        }
        List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
        for (Sequence s : sequences) {
            rows.add(org.apache.spark.sql.RowFactory.create(s.id(), s.seqLen(), s.hidden().length / s.seqLen(), s.hidden()));
        }
        org.apache.spark.sql.SparkSession spark = ffnbench.spark.Sessions.getOrCreate("ffnbench forward", "local[1]");
        ffnbench.spark.TokenBatches.writer(spark.createDataFrame(rows, ffnbench.spark.TokenBatches.SCHEMA).coalesce(1)).parquet(path.toString());
    }
}

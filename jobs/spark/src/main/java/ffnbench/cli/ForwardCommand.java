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
                    + "or for --part mlp [tokens, d]; or token batches in Parquet (equal seq_len; read with an "
                    + "embedded local Spark, in seq_id order).")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "y.npy", description = "Output .npy (float32, same shape as the input).")
    Path output;

    @Option(names = "--sites", paramLabel = "DIR",
            description = "Also write the intermediate tensors (attn_norm, attn_out, mlp_norm, ffn_preact, ffn_up, ffn_act, "
                    + "ffn_out, block_out) as DIR/<site>.npy.")
    Path sites;

    @Option(names = "--overwrite", description = "Replace outputs that exist (default: refuse).")
    boolean overwrite;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for preset:<name> weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--set", paramLabel = "FIELD=VALUE",
            description = "Override a field of a preset model, e.g. --set d_model=512 --set ffn=swiglu. Fields: "
                    + ModelConfig.FIELDS + ".")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        boolean mlpOnly = Part.parse(part) == Part.MLP;
        Formulation f = Formulation.parse(formulation);
        if (!Files.exists(input)) throw new IllegalArgumentException("--input " + input + " does not exist");
        Outputs.requireNew(output, overwrite);

        Npy.Array x = input.toString().endsWith(".npy") ? Npy.read(input) : readParquet(input);
        ModelSource.Layer loaded = ModelSource.load(model, layer, seed, overrides);
        ModelConfig c = loaded.config();
        if (!mlpOnly) f.requireFits(c);
        int d = c.dModel();
        if (x.rank() < 2 || x.rank() > 3 || x.dim(x.rank() - 1) != d) {
            throw new IllegalArgumentException("--input " + input + " has shape " + x + "; expected [sequences, seq_len, " + d
                    + "] or [tokens, " + d + "] for d_model " + d + " of " + model);
        }
        for (float v : x.data()) {
            if (!Float.isFinite(v)) throw new IllegalArgumentException("--input " + input + " contains NaN or Inf values");
        }
        int sequences = x.rank() == 3 ? (int) x.dim(0) : 1;
        int seqLen = (int) (x.rank() == 3 ? x.dim(1) : x.dim(0));
        if (mlpOnly) {  // the MLP is per token: all tokens in one batch
            seqLen = sequences * seqLen;
            sequences = 1;
        }
        System.err.printf("ffnbench forward: %s layer %d (%s, d=%d, d_ff=%d, ffn=%s), part=%s, formulation=%s, "
                        + "%d sequence(s) × %d tokens, BLAS=%s%n", model, layer, c.arch(), d, c.dFf(), c.ffn(), part,
                f.id(), sequences, seqLen, ffnbench.backend.Blas.info().summary());

        TransformerLayer block = new TransformerLayer(c, loaded.weights());
        float[] y = new float[x.data().length];
        Map<Site, float[]> siteData = new LinkedHashMap<>();
        Map<Site, Integer> siteWidth = new LinkedHashMap<>();
        int rowValues = seqLen * d;
        int totalTokens = x.data().length / d;
        for (int s = 0; s < sequences; s++) {
            float[] seq = java.util.Arrays.copyOfRange(x.data(), s * rowValues, (s + 1) * rowValues);
            SiteCapture capture = new SiteCapture(sites == null ? EnumSet.noneOf(Site.class) : EnumSet.allOf(Site.class));
            float[] out = mlpOnly ? block.mlp(seq, seqLen, capture) : block.forward(seq, seqLen, f, capture);
            System.arraycopy(out, 0, y, s * rowValues, rowValues);
            for (Map.Entry<Site, SiteCapture.Captured> e : capture.captured().entrySet()) {
                int width = e.getValue().cols();
                float[] all = siteData.computeIfAbsent(e.getKey(), k -> new float[totalTokens * width]);
                siteWidth.put(e.getKey(), width);
                System.arraycopy(e.getValue().data(), 0, all, s * seqLen * width, seqLen * width);
            }
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Npy.write(output, x.shape(), y);
        if (sites != null) {
            Files.createDirectories(sites);
            for (Map.Entry<Site, float[]> e : siteData.entrySet()) {
                long[] shape = x.shape().clone();
                shape[shape.length - 1] = siteWidth.get(e.getKey());
                Npy.write(sites.resolve(e.getKey().id() + ".npy"), shape, e.getValue());
            }
        }
        System.err.printf("ffnbench forward: wrote %s%s%n", output,
                sites == null ? "" : " and sites " + List.copyOf(siteData.keySet()).stream().map(Site::id).toList() + " under " + sites);
        return 0;
    }

    /** Token batches from Parquet as one [sequences, seq_len, d] array (via an embedded local Spark). */
    private static Npy.Array readParquet(Path path) throws java.io.IOException {
        org.apache.spark.sql.SparkSession spark = ffnbench.spark.Sessions.getOrCreate("ffnbench forward", "local[1]");
        Path tmp = Files.createTempFile("ffnbench-forward-", ".npy");
        try {
            ffnbench.spark.TokenBatches.toNpy(ffnbench.spark.TokenBatches.read(spark, path.toString()), tmp);
            return Npy.read(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

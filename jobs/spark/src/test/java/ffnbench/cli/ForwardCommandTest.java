package ffnbench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.data.Npy;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.SiteRecorder;
import ffnbench.model.TransformerLayer;
import ffnbench.weights.SeededInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwardCommandTest {
    static final Path REF = Path.of(System.getProperty("ffnbench.repo", "."), "data/reference/minilm-layer0");

    @TempDir
    Path dir;

    @Test
    void minilmMlpReproducesTheGoldenOutput() throws Exception {
        Path out = dir.resolve("y.npy");
        Path sites = dir.resolve("sites");
        int code = Main.run("forward", "--model", "minilm", "--layer", "0", "--part", "mlp",
                "--input", REF.resolve("ffn_in.npy").toString(), "--output", out.toString(), "--sites", sites.toString());
        assertEquals(0, code);
        Npy.Array y = Npy.read(out);
        assertArrayEquals(new long[] {39, 384}, y.shape());
        assertTrue(Reference.maxAbsDiff(y.data(), Npy.read(REF.resolve("ffn_out.npy")).data()) <= 1e-4);
        assertTrue(Reference.maxAbsDiff(Npy.read(sites.resolve("ffn_preact.npy")).data(),
                Npy.read(REF.resolve("ffn_preact.npy")).data()) <= 1e-4);
    }

    /** A tiny Mixtral or Qwen2-MoE checkpoint under HF names, 4 experts of width 24, d_model 16. */
    static Path tinyMoeCheckpoint(Path dir, String type) throws Exception {
        Map<String, ffnbench.weights.Safetensors.Tensor> t = new java.util.LinkedHashMap<>();
        long[] seed = {1};
        java.util.function.BiConsumer<String, long[]> put = (name, shape) -> {
            long n = 1;
            for (long s : shape) n *= s;
            float[] a = Reference.gaussian((int) n, 0.3, seed[0]++);
            if (name.endsWith("layernorm.weight")) for (int i = 0; i < a.length; i++) a[i] += 1;
            t.put(name, new ffnbench.weights.Safetensors.Tensor(shape, a));
        };
        String p = "model.layers.0.";
        put.accept(p + "input_layernorm.weight", new long[] {16});
        put.accept(p + "post_attention_layernorm.weight", new long[] {16});
        put.accept(p + "self_attn.q_proj.weight", new long[] {16, 16});
        put.accept(p + "self_attn.k_proj.weight", new long[] {8, 16});
        put.accept(p + "self_attn.v_proj.weight", new long[] {8, 16});
        put.accept(p + "self_attn.o_proj.weight", new long[] {16, 16});
        boolean mixtral = type.equals("mixtral");
        String moe = p + (mixtral ? "block_sparse_moe." : "mlp.");
        put.accept(moe + "gate.weight", new long[] {4, 16});
        for (int e = 0; e < 4; e++) {
            String x = moe + "experts." + e + ".";
            for (String w : mixtral ? new String[] {"w1", "w3"} : new String[] {"gate_proj", "up_proj"}) put.accept(x + w + ".weight", new long[] {24, 16});
            put.accept(x + (mixtral ? "w2" : "down_proj") + ".weight", new long[] {16, 24});
        }
        String config;
        if (mixtral) {
            config = "{\"model_type\":\"mixtral\",\"hidden_size\":16,\"intermediate_size\":24,\"num_attention_heads\":4,"
                    + "\"num_key_value_heads\":2,\"rms_norm_eps\":1e-5,\"hidden_act\":\"silu\",\"num_hidden_layers\":1,"
                    + "\"num_local_experts\":4,\"num_experts_per_tok\":2}";
        } else {
            for (String b : new String[] {"q_proj", "k_proj", "v_proj"}) put.accept(p + "self_attn." + b + ".bias", new long[] {b.startsWith("q") ? 16 : 8});
            for (String w : new String[] {"gate_proj", "up_proj"}) put.accept(moe + "shared_expert." + w + ".weight", new long[] {20, 16});
            put.accept(moe + "shared_expert.down_proj.weight", new long[] {16, 20});
            put.accept(moe + "shared_expert_gate.weight", new long[] {1, 16});
            config = "{\"model_type\":\"qwen2_moe\",\"hidden_size\":16,\"moe_intermediate_size\":24,\"shared_expert_intermediate_size\":20,"
                    + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"rms_norm_eps\":1e-6,\"hidden_act\":\"silu\","
                    + "\"num_hidden_layers\":1,\"num_experts\":4,\"num_experts_per_tok\":2,\"norm_topk_prob\":false}";
        }
        Path ckpt = dir.resolve(type);
        Files.createDirectories(ckpt);
        Files.writeString(ckpt.resolve("config.json"), config);
        ffnbench.weights.Safetensors.write(ckpt.resolve("model.safetensors"), t, ffnbench.weights.Safetensors.DType.F32);
        return ckpt;
    }

    /** forward on tiny HF Mixtral and Qwen2-MoE checkpoints: the MoE sublayer alone, and the block, as the library computes them. */
    @Test
    void mixtureOfExpertsCheckpointsThroughForward() throws Exception {
        float[] x = Reference.gaussian(2 * 9 * 16, 1, 4);
        Path in = dir.resolve("moe-x.npy");
        Npy.write(in, new long[] {2, 9, 16}, x);
        for (String type : new String[] {"mixtral", "qwen2_moe"}) {
            Path ckpt = tinyMoeCheckpoint(dir, type);
            TransformerLayer layer;
            try (ffnbench.weights.HfCheckpoint hf = ffnbench.weights.HfCheckpoint.open(ckpt)) {
                layer = new TransformerLayer(hf.config(), hf.layer(0));
            }
            for (String part : new String[] {"mlp", "block"}) {
                Path out = dir.resolve(type + "-" + part + ".npy"), sites = dir.resolve(type + "-" + part + "-sites");
                int code = Main.run("forward", "--model", ckpt.toString(), "--layer", "0", "--part", part,
                        "--input", in.toString(), "--output", out.toString(), "--sites", sites.toString());
                assertEquals(0, code, type + " " + part);
                float[] y = Npy.read(out).data();
                for (int s = 0; s < 2; s++) {
                    float[] seq = java.util.Arrays.copyOfRange(x, s * 9 * 16, (s + 1) * 9 * 16);
                    float[] expected = part.equals("mlp") ? layer.mlp(seq, 9, SiteRecorder.NONE)
                            : layer.forward(seq, 9, Formulation.SERIAL, SiteRecorder.NONE);
                    // an expert's GEMM batches whichever tokens chose it, so rounding may differ with the batch
                    double err = Reference.relativeL2(java.util.Arrays.copyOfRange(y, s * 9 * 16, (s + 1) * 9 * 16), expected);
                    assertTrue(err < 1e-6, type + " " + part + ": " + err);
                }
                if (part.equals("block")) {
                    assertArrayEquals(new long[] {2, 9, 4}, Npy.read(sites.resolve("router_probs.npy")).shape(), type);
                }
            }
        }
    }

    @Test
    void presetBlockOverSequencesMatchesTheLibrary() throws Exception {
        ModelConfig c = ModelConfig.preset("llama").with(Map.of("d_model", "64", "heads", "4", "d_ff", "96", "kv_heads", "2"));
        float[] x = Reference.gaussian(3 * 7 * 64, 1, 3);
        Path in = dir.resolve("x.npy");
        Npy.write(in, new long[] {3, 7, 64}, x);
        Path out = dir.resolve("y.npy");
        int code = Main.run("forward", "--model", "preset:llama", "--seed", "5", "--set", "d_model=64", "--set", "heads=4",
                "--set", "d_ff=96", "--set", "kv_heads=2", "--part", "block", "--formulation", "parallel",
                "--input", in.toString(), "--output", out.toString(), "--sites", dir.resolve("s").toString());
        assertEquals(0, code);
        float[] y = Npy.read(out).data();
        TransformerLayer layer = new TransformerLayer(c, SeededInit.layer(c, 5, 0));
        for (int s = 0; s < 3; s++) {   // each sequence is attended separately
            float[] seq = java.util.Arrays.copyOfRange(x, s * 7 * 64, (s + 1) * 7 * 64);
            float[] expected = layer.forward(seq, 7, Formulation.PARALLEL, SiteRecorder.NONE);
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(y, s * 7 * 64, (s + 1) * 7 * 64));
        }
        assertArrayEquals(new long[] {3, 7, 96}, Npy.read(dir.resolve("s/ffn_act.npy")).shape());
    }

    @Test
    void parquetTokenBatchesAreAcceptedAsInput() throws Exception {
        org.apache.spark.sql.SparkSession spark = ffnbench.spark.TestSpark.session();
        String parquet = dir.resolve("tokens.parquet").toString();
        ffnbench.spark.TokenBatches.generate(spark, 2, 5, 384, ffnbench.data.TokenGenerator.Distribution.GAUSSIAN, 1, 2)
                .write().parquet(parquet);
        Path out = dir.resolve("y.npy");
        assertEquals(0, Main.run("forward", "--model", "minilm", "--input", parquet, "--output", out.toString()));
        Npy.Array y = Npy.read(out);
        assertArrayEquals(new long[] {2, 5, 384}, y.shape());
        float[] x0 = new ffnbench.data.TokenGenerator(1, 384, ffnbench.data.TokenGenerator.Distribution.GAUSSIAN).sequence(0, 5);
        float[] expected = new TransformerLayer(ffnbench.weights.MiniLm.config(), ffnbench.weights.MiniLm.layer(0))
                .forward(x0, 5, Formulation.SERIAL, SiteRecorder.NONE);
        assertArrayEquals(expected, java.util.Arrays.copyOf(y.data(), 5 * 384));
    }

    @Test
    void raggedParquetInputGivesParquetOutputOneRowPerSequence() throws Exception {
        org.apache.spark.sql.SparkSession spark = ffnbench.spark.TestSpark.session();
        ModelConfig c = ModelConfig.preset("llama").with(Map.of("d_model", "64", "heads", "4", "d_ff", "96", "kv_heads", "2"));
        int[] lengths = {3, 8, 5};
        java.util.List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
        java.util.List<float[]> inputs = new java.util.ArrayList<>();
        for (int s = 0; s < lengths.length; s++) {
            float[] x = Reference.gaussian(lengths[s] * 64, 1, 10 + s);
            inputs.add(x);
            rows.add(org.apache.spark.sql.RowFactory.create((long) s, lengths[s], 64, x));
        }
        String parquet = dir.resolve("ragged.parquet").toString();
        spark.createDataFrame(rows, ffnbench.spark.TokenBatches.SCHEMA).repartition(2).write().parquet(parquet);
        String[] model = {"forward", "--model", "preset:llama", "--seed", "5", "--set", "d_model=64", "--set", "heads=4",
            "--set", "d_ff=96", "--set", "kv_heads=2", "--input", parquet};

        String err = runExpectingFailure(concat(model, "--output", dir.resolve("y.npy").toString()));
        assertTrue(err.contains("different lengths") && err.contains("y.parquet"), err);
        assertFalse(Files.exists(dir.resolve("y.npy")));

        Path out = dir.resolve("y.parquet");
        assertEquals(0, Main.run(concat(model, "--output", out.toString(), "--sites", dir.resolve("s").toString())));
        TransformerLayer layer = new TransformerLayer(c, SeededInit.layer(c, 5, 0));
        java.util.List<org.apache.spark.sql.Row> y = ffnbench.spark.TokenBatches.read(spark, out.toString()).orderBy("seq_id").collectAsList();
        assertEquals(lengths.length, y.size());
        for (int s = 0; s < lengths.length; s++) {
            org.apache.spark.sql.Row r = y.get(s);
            assertEquals(s, r.getLong(0));
            assertEquals(lengths[s], r.getInt(1));
            assertEquals(64, r.getInt(2));
            float[] expected = layer.forward(inputs.get(s), lengths[s], Formulation.SERIAL, SiteRecorder.NONE);
            java.util.List<Float> got = r.getList(3);
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got.get(i), 0f, "sequence " + s + " value " + i);
        }
        org.apache.spark.sql.Row act = spark.read().parquet(dir.resolve("s/ffn_act.parquet").toString()).orderBy("seq_id").first();
        assertEquals(96, act.getInt(2), "a site's d_model column is its width");
        assertEquals(3 * 96, act.getList(3).size());
        err = runExpectingFailure(concat(model, "--output", out.toString()));
        assertTrue(err.contains(out + " exists"), err);
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Outputs that exist are refused before any work (no --overwrite), naming the path and the option. */
    @Test
    void existingOutputsAreNotReplacedWithoutOverwrite() throws Exception {
        Path in = dir.resolve("x.npy");
        Npy.write(in, new long[] {2, 384}, new float[2 * 384]);
        Path y = dir.resolve("kept.npy");
        Files.writeString(y, "earlier result");
        String err = runExpectingFailure("forward", "--model", "minilm", "--part", "mlp", "--input", in.toString(), "--output", y.toString());
        assertTrue(err.contains(y.toString()) && err.contains("--overwrite"), err);
        assertEquals("earlier result", Files.readString(y), "the earlier output is intact");
        assertEquals(0, Main.run("forward", "--model", "minilm", "--part", "mlp", "--input", in.toString(), "--output", y.toString(),
                "--overwrite"));
        assertArrayEquals(new long[] {2, 384}, Npy.read(y).shape());

        Path parquet = Files.createDirectories(dir.resolve("tokens.parquet"));
        err = runExpectingFailure("export-npy", "--input", parquet.toString(), "--output", y.toString());
        assertTrue(err.contains(y.toString()) && err.contains("--overwrite"), err);
        for (String command : new String[] {"generate", "import-npy"}) {
            String[] args = command.equals("generate") ? new String[] {"generate", "--output", parquet.toString()}
                    : new String[] {"import-npy", "--input", in.toString(), "--output", parquet.toString()};
            err = runExpectingFailure(args);
            assertTrue(err.contains(parquet + " exists") && !err.contains("mode"), command + ": " + err);
        }
    }

    @Test
    void badInputsGiveClearErrors() throws Exception {
        Path in = dir.resolve("x.npy");
        Npy.write(in, new long[] {5, 100}, new float[500]);
        String err = runExpectingFailure("forward", "--model", "minilm", "--input", in.toString(), "--output", dir.resolve("y.npy").toString());
        assertTrue(err.contains("384") && err.contains("[5, 100]"), err);
        assertFalse(Files.exists(dir.resolve("y.npy")), "nothing written on failure");

        err = runExpectingFailure("forward", "--model", "minilm", "--formulation", "parralel", "--input", in.toString(),
                "--output", dir.resolve("y.npy").toString());
        assertTrue(err.contains("parralel") && err.contains("parallel-two-norms"), err);

        float[] nan = new float[384];
        nan[7] = Float.NaN;
        Npy.write(in, new long[] {1, 384}, nan);
        err = runExpectingFailure("forward", "--model", "minilm", "--input", in.toString(), "--output", dir.resolve("y.npy").toString());
        assertTrue(err.contains("NaN"), err);

        err = runExpectingFailure("forward", "--model", "/no/such/dir", "--input", in.toString(), "--output", dir.resolve("y.npy").toString());
        assertTrue(err.contains("/no/such/dir"), err);
    }

    private static String runExpectingFailure(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setErr(old);
        }
        assertEquals(2, code, buf.toString());
        return buf.toString();
    }
}

package ffnbench.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.data.TokenGenerator;
import ffnbench.model.Formulation;
import ffnbench.model.ModelConfig;
import ffnbench.model.SiteRecorder;
import ffnbench.model.TransformerLayer;
import ffnbench.spark.ml.FfnLayerTransformer;
import ffnbench.weights.SeededInit;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML transformer (with save/load and inside a Pipeline) and the SQL functions. */
class LibraryApiTest {
    static final String MODEL = "preset:llama?d_model=64&heads=4&kv_heads=2&d_ff=96&seed=5";
    static SparkSession spark;
    static Dataset<Row> tokens;
    static TransformerLayer layer;

    @TempDir
    static Path dir;

    @BeforeAll
    static void data() {
        spark = TestSpark.session();
        tokens = TokenBatches.generate(spark, 6, 9, 64, TokenGenerator.Distribution.LLM, 2, 2).cache();
        tokens.createOrReplaceTempView("tokens");
        ModelConfig c = ModelConfig.preset("llama").with(Map.of("d_model", "64", "heads", "4", "kv_heads", "2", "d_ff", "96"));
        layer = new TransformerLayer(c, SeededInit.layer(c, 5, 0));
    }

    static float[] floats(List<?> l) {
        float[] x = new float[l.size()];
        for (int i = 0; i < x.length; i++) x[i] = (Float) l.get(i);
        return x;
    }

    /** Every row's output equals the library's forward pass of that row. */
    static void assertOutputs(Dataset<Row> out, String column, Formulation f, boolean mlp) {
        List<Row> rows = out.orderBy("seq_id").select("hidden", column).collectAsList();
        assertEquals(6, rows.size());
        for (Row r : rows) {
            float[] x = floats(r.getList(0));
            float[] expected = mlp ? layer.mlp(x, 9, SiteRecorder.NONE) : layer.forward(x, 9, f, SiteRecorder.NONE);
            assertArrayEquals(expected, floats(r.getList(1)));
        }
    }

    @Test
    void transformerInAPipelineAndSavedAndLoaded() throws Exception {
        FfnLayerTransformer t = new FfnLayerTransformer().setModel(MODEL).setLayer(0).setFormulation("parallel").setOutputCol("y");
        assertOutputs(t.transform(tokens), "y", Formulation.PARALLEL, false);

        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {t}).fit(tokens);
        assertOutputs(pipeline.transform(tokens), "y", Formulation.PARALLEL, false);

        String path = dir.resolve("transformer").toString();
        t.save(path);
        FfnLayerTransformer loaded = FfnLayerTransformer.load(path);
        assertEquals(t.uid(), loaded.uid());
        assertEquals("parallel", loaded.getOrDefault(loaded.formulation()));
        assertTrue(loaded.getModel().endsWith("weights"), "computes with the saved weights: " + loaded.getModel());
        assertOutputs(loaded.transform(tokens), "y", Formulation.PARALLEL, false);

        String pipelinePath = dir.resolve("pipeline").toString();
        pipeline.write().save(pipelinePath);
        assertOutputs(PipelineModel.load(pipelinePath).transform(tokens), "y", Formulation.PARALLEL, false);
    }

    @Test
    void mlpPartAndSchemaErrors() {
        FfnLayerTransformer mlp = new FfnLayerTransformer().setModel(MODEL).setPart("mlp").setOutputCol("m");
        assertOutputs(mlp.transform(tokens), "m", Formulation.SERIAL, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FfnLayerTransformer().setModel(MODEL).setInputCol("nope").transform(tokens));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new FfnLayerTransformer().setModel(MODEL).setOutputCol("hidden").transform(tokens));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FfnLayerTransformer.load(dir.resolve("missing").toString()));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void sqlFunctions() {
        FfnFunctions.register(spark);
        assertOutputs(spark.sql("SELECT seq_id, hidden, ffn_block(hidden, seq_len, '" + MODEL + "', 0, 'serial') AS y FROM tokens"),
                "y", Formulation.SERIAL, false);
        assertOutputs(spark.sql("SELECT seq_id, hidden, ffn_mlp(hidden, '" + MODEL + "', 0) AS y FROM tokens"),
                "y", Formulation.SERIAL, true);
        // the registerJavaFunction route (what PySpark users call)
        spark.udf().registerJava("ffn_block_java", FfnFunctions.Block.class.getName(), DataTypes.createArrayType(DataTypes.FloatType));
        assertOutputs(spark.sql("SELECT seq_id, hidden, ffn_block_java(hidden, seq_len, '" + MODEL + "', 0, 'parallel-two-norms') AS y"
                + " FROM tokens"), "y", Formulation.PARALLEL_TWO_NORMS, false);
    }
}

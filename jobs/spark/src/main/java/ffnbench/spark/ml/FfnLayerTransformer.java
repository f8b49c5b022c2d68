package ffnbench.spark.ml;

import static org.apache.spark.sql.functions.col;

import ffnbench.runtime.LayerCache;
import ffnbench.model.Formulation;
import ffnbench.model.TransformerLayer;
import ffnbench.spark.LayerFunction;
import ffnbench.spark.SparkFunctions;
import ffnbench.weights.LayerCheckpoint;
import ffnbench.weights.ModelSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import ffnbench.spark.shim.TypedUdf;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.runtime.AbstractFunction2;

/**
 * A Spark ML {@code Transformer} applying one transformer layer (or its MLP alone) to a column of
 * token batches: {@code inputCol} ({@code ARRAY<FLOAT>}, {@code [seq_len × d]} per row) →
 * {@code outputCol}, with {@code seqLenCol} giving each row's length for whole blocks.
 *
 * <p>Saved with {@code write().save(path)}: the params as Spark ML metadata, and the layer's weights
 * as an ffnbench-layers checkpoint ({@code path/weights}: safetensors + manifest) beside them, so a
 * loaded transformer computes with exactly the saved weights. The path must be on a file system
 * the driver and executors see (local, NFS, /dbfs).
 */
public final class FfnLayerTransformer extends Transformer implements MLWritable {
    private final String uid;
    // Created in the constructor, after uid: a Param records its parent's uid when it is made.
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> seqLenCol;
    private final Param<String> model;
    private final IntParam layer;
    private final Param<String> part;
    private final Param<String> formulation;

    public FfnLayerTransformer() {
        this(Identifiable$.MODULE$.randomUID("ffnLayer"));
    }

    public FfnLayerTransformer(String uid) {
        this.uid = uid;
        inputCol = new Param<>(uid, "inputCol", "column of token batches, ARRAY<FLOAT> [seq_len × d]");
        outputCol = new Param<>(uid, "outputCol", "output column, ARRAY<FLOAT> of the same shape");
        seqLenCol = new Param<>(uid, "seqLenCol", "column with each row's seq_len (for part=block)");
        model = new Param<>(uid, "model", "minilm, a checkpoint directory, or preset:<name>?field=value&seed=N");
        layer = new IntParam(uid, "layer", "layer index");
        part = new Param<>(uid, "part", "block (the whole layer) or mlp (the MLP sublayer alone)");
        formulation = new Param<>(uid, "formulation", "serial, parallel or parallel-two-norms");
        setDefault(inputCol, "hidden");
        setDefault(outputCol, "output");
        setDefault(seqLenCol, "seq_len");
        setDefault(model, "minilm");
        setDefault(layer, (Object) 0);
        setDefault(part, "block");
        setDefault(formulation, "serial");
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark ML finds params through public no-argument methods returning Param.
    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> seqLenCol() { return seqLenCol; }
    public Param<String> model() { return model; }
    public IntParam layer() { return layer; }
    public Param<String> part() { return part; }
    public Param<String> formulation() { return formulation; }

    public FfnLayerTransformer setInputCol(String v) { set(inputCol, v); return this; }
    public FfnLayerTransformer setOutputCol(String v) { set(outputCol, v); return this; }
    public FfnLayerTransformer setSeqLenCol(String v) { set(seqLenCol, v); return this; }
    public FfnLayerTransformer setModel(String v) { set(model, v); return this; }
    public FfnLayerTransformer setLayer(int v) { set(layer, (Object) v); return this; }
    public FfnLayerTransformer setPart(String v) { set(part, v); return this; }
    public FfnLayerTransformer setFormulation(String v) { set(formulation, v); return this; }

    public String getModel() { return $(model); }
    public int getLayer() { return (Integer) $(layer); }

    private boolean mlpOnly() {
        return ffnbench.model.Part.parse($(part)) == ffnbench.model.Part.MLP;
    }

    private LayerFunction function() {
        return new LayerFunction(ModelSource.parseSpec($(model)), List.of(getLayer()), mlpOnly(), Formulation.parse($(formulation)));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        StructField in = field(schema, $(inputCol));
        if (!(in.dataType() instanceof ArrayType a) || !a.elementType().equals(DataTypes.FloatType)) {
            throw new IllegalArgumentException("inputCol '" + $(inputCol) + "' must be ARRAY<FLOAT>, is " + in.dataType().simpleString());
        }
        if (!mlpOnly() && !field(schema, $(seqLenCol)).dataType().equals(DataTypes.IntegerType)) {
            throw new IllegalArgumentException("seqLenCol '" + $(seqLenCol) + "' must be INT");
        }
        Formulation.parse($(formulation));
        if (java.util.Arrays.asList(schema.fieldNames()).contains($(outputCol))) {
            throw new IllegalArgumentException("outputCol '" + $(outputCol) + "' already exists");
        }
        return schema.add($(outputCol), DataTypes.createArrayType(DataTypes.FloatType, false), true);
    }

    private static StructField field(StructType schema, String name) {
        if (!java.util.Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException("column '" + name + "' not found (columns: " + String.join(", ", schema.fieldNames()) + ")");
        }
        return schema.apply(name);
    }

    /** The per-row function, typed: primitive float[] in and out. */
    static final class Apply extends AbstractFunction2<float[], Object, float[]> implements java.io.Serializable {
        private final LayerFunction f;

        Apply(LayerFunction f) {
            this.f = f;
        }

        @Override
        public float[] apply(float[] hidden, Object seqLen) {
            return f.apply(hidden, seqLen == null ? 0 : (Integer) seqLen);
        }
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        LayerFunction f = function();
        f.dModel();   // fail here, on the driver, if the model cannot be loaded
        var udf = TypedUdf.create(new Apply(f), DataTypes.createArrayType(DataTypes.FloatType, false),
                List.of(SparkFunctions.floatArray(), org.apache.spark.sql.catalyst.encoders.AgnosticEncoders.BoxedIntEncoder$.MODULE$),
                SparkFunctions.floatArray(), "ffn_layer", true);
        Column seqLen = mlpOnly() ? org.apache.spark.sql.functions.lit(0) : col($(seqLenCol));
        return dataset.withColumn($(outputCol), udf.apply(col($(inputCol)), seqLen));
    }

    @Override
    public FfnLayerTransformer copy(ParamMap extra) {
        return (FfnLayerTransformer) defaultCopy(extra);
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    @Override
    public void save(String path) throws IOException {
        write().save(path);
    }

    public static MLReader<FfnLayerTransformer> read() {
        return new Reader();
    }

    public static FfnLayerTransformer load(String path) {
        return read().load(path);
    }

    static Path localPath(String path) {
        if (path.startsWith("file:")) return Path.of(java.net.URI.create(path));
        if (path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IllegalArgumentException("weights are written with the local file API: use a local, NFS or /dbfs path, not " + path);
        }
        return Path.of(path);
    }

    private static final class Writer extends MLWriter {
        private final FfnLayerTransformer t;

        Writer(FfnLayerTransformer t) {
            this.t = t;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(t, path, sparkSession().sparkContext(), Option.empty(), Option.empty());
            ModelSource.Spec spec = ModelSource.parseSpec(t.getModel());
            TransformerLayer l = LayerCache.get(spec.source(), spec.seed(), spec.overrides(), t.getLayer());
            try {
                LayerCheckpoint.write(localPath(path).resolve("weights"), l.config(), Map.of(t.getLayer(), l.weights()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class Reader extends MLReader<FfnLayerTransformer> {
        @Override
        public FfnLayerTransformer load(String path) {
            if (!java.nio.file.Files.isDirectory(localPath(path).resolve("metadata"))) {
                throw new IllegalArgumentException("no saved " + FfnLayerTransformer.class.getSimpleName() + " at " + path
                        + " (it has no metadata/ directory)");
            }
            var metadata = DefaultParamsReader.loadMetadata(path, sparkSession().sparkContext(), FfnLayerTransformer.class.getName());
            FfnLayerTransformer t = new FfnLayerTransformer(metadata.uid());
            metadata.getAndSetParams(t, Option.empty());
            Path weights = localPath(path).resolve("weights");
            if (!LayerCheckpoint.isCheckpoint(weights)) {
                throw new IllegalArgumentException(path + " has no saved weights (" + weights + "): was it written by ffnbench "
                        + FfnLayerTransformer.class.getSimpleName() + "?");
            }
            return t.setModel(weights.toString());
        }
    }
}

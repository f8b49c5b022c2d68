package ffnbench.spark;

import ffnbench.spark.shim.TypedUdf;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.api.java.UDF5;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoders;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;
import scala.runtime.AbstractFunction3;
import scala.runtime.AbstractFunction5;

/**
 * SQL functions for Spark SQL and PySpark users:
 * <pre>
 * ffn_block(hidden ARRAY&lt;FLOAT&gt;, seq_len INT, model STRING, layer INT, formulation STRING) → ARRAY&lt;FLOAT&gt;
 * ffn_mlp(hidden ARRAY&lt;FLOAT&gt;, model STRING, layer INT) → ARRAY&lt;FLOAT&gt;
 * </pre>
 * {@code model} is {@code minilm}, a checkpoint directory, or {@code preset:<name>?field=value&seed=N}.
 * {@link #register} installs them with typed encoders (primitive arrays in and out). For PySpark,
 * {@code spark.udf.registerJavaFunction("ffn_block", "ffnbench.spark.FfnFunctions$Block",
 * ArrayType(FloatType()))} works too (the {@link Block} and {@link Mlp} classes; boxed input).
 */
public final class FfnFunctions {
    private FfnFunctions() {}

    private static final Map<String, LayerFunction> FUNCTIONS = new ConcurrentHashMap<>();

    static LayerFunction function(String model, int layer, String part, String formulation) {
        return FUNCTIONS.computeIfAbsent(model + "|" + layer + "|" + part + "|" + formulation,
                k -> LayerFunction.parse(model, layer, part, formulation));
    }

    /** Registers {@code ffn_block} and {@code ffn_mlp} on the session. */
    public static void register(SparkSession spark) {
        var stringEnc = AgnosticEncoders.StringEncoder$.MODULE$;
        var intEnc = AgnosticEncoders.PrimitiveIntEncoder$.MODULE$;
        // typed output too: the float[] result becomes Spark's array in one copy
        var floats = SparkFunctions.floatArray();
        spark.udf().register("ffn_block", TypedUdf.create(new TypedBlock(), DataTypes.createArrayType(DataTypes.FloatType),
                List.of(floats, intEnc, stringEnc, intEnc, stringEnc), floats, "ffn_block", true));
        spark.udf().register("ffn_mlp", TypedUdf.create(new TypedMlp(), DataTypes.createArrayType(DataTypes.FloatType),
                List.of(floats, stringEnc, intEnc), floats, "ffn_mlp", true));
    }

    static final class TypedBlock extends AbstractFunction5<float[], Object, String, Object, String, float[]>
            implements java.io.Serializable {
        @Override
        public float[] apply(float[] hidden, Object seqLen, String model, Object layer, String formulation) {
            return function(model, (Integer) layer, ffnbench.model.Part.BLOCK.id(), formulation).apply(hidden, (Integer) seqLen);
        }
    }

    static final class TypedMlp extends AbstractFunction3<float[], String, Object, float[]> implements java.io.Serializable {
        @Override
        public float[] apply(float[] hidden, String model, Object layer) {
            return function(model, (Integer) layer, ffnbench.model.Part.MLP.id(), "serial").apply(hidden, 0);
        }
    }

    static float[] unbox(Seq<Object> s) {
        if (s == null) return null;
        float[] x = new float[s.length()];
        for (int i = 0; i < x.length; i++) x[i] = (Float) s.apply(i);
        return x;
    }

    /** {@code ffn_block} as a plain Java UDF, for {@code registerJavaFunction}. */
    public static final class Block implements UDF5<Seq<Object>, Integer, String, Integer, String, float[]> {
        @Override
        public float[] call(Seq<Object> hidden, Integer seqLen, String model, Integer layer, String formulation) {
            return function(model, layer, ffnbench.model.Part.BLOCK.id(), formulation).apply(unbox(hidden), seqLen);
        }
    }

    /** {@code ffn_mlp} as a plain Java UDF, for {@code registerJavaFunction}. */
    public static final class Mlp implements UDF3<Seq<Object>, String, Integer, float[]> {
        @Override
        public float[] call(Seq<Object> hidden, String model, Integer layer) {
            return function(model, layer, ffnbench.model.Part.MLP.id(), "serial").apply(unbox(hidden), 0);
        }
    }
}

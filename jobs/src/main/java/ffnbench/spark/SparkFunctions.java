package ffnbench.spark;

import ffnbench.bench.BenchCase;
import java.util.List;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoder;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoders;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder$;
import org.apache.spark.sql.expressions.SparkUserDefinedFunction;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import scala.Option;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * Builds ffnbench's Spark SQL functions.
 *
 * <p>A plain Java {@code UDF1} over {@code ARRAY<FLOAT>} receives a Scala {@code Seq} of boxed
 * floats: one object per value. Declaring typed input encoders instead (as Scala's typed
 * {@code udf} does) makes Spark hand the function a primitive {@code float[]}, copied in one go from
 * its internal array ({@code UnsafeArrayData.toFloatArray}). Same plan, same expression
 * ({@code ScalaUDF}), which is what the RAPIDS Accelerator looks for on the GPU path.
 */
public final class SparkFunctions {
    private SparkFunctions() {}

    /**
     * {@code ffn_block(seq_id BIGINT, seq_len INT, d_model INT, hidden ARRAY<FLOAT>) → BlockFunction.RESULT},
     * with the CPU or GPU implementation chosen from the session's configuration ({@link GpuSupport}).
     */
    public static UserDefinedFunction block(BenchCase c, org.apache.spark.SparkConf conf) {
        return block(GpuSupport.blockFunction(c, conf));
    }

    /** As above with a given implementation ({@link BlockFunction} or its GPU subclass). */
    public static UserDefinedFunction block(BlockFunction f) {
        return new SparkUserDefinedFunction(f, BlockFunction.RESULT,
                encoders(AgnosticEncoders.PrimitiveLongEncoder$.MODULE$, AgnosticEncoders.PrimitiveIntEncoder$.MODULE$,
                        AgnosticEncoders.PrimitiveIntEncoder$.MODULE$, floatArray()),
                Option.empty(), Option.apply("ffn_block"), false, true);
    }

    public static AgnosticEncoder<?> floatArray() {
        return new AgnosticEncoders.ArrayEncoder<>(AgnosticEncoders.PrimitiveFloatEncoder$.MODULE$, false);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Seq<Option<ExpressionEncoder<?>>> encoders(AgnosticEncoder<?>... encoders) {
        List<Option<ExpressionEncoder<?>>> list = new java.util.ArrayList<>();
        for (AgnosticEncoder<?> e : encoders) list.add(Option.apply(ExpressionEncoder$.MODULE$.apply((AgnosticEncoder) e)));
        return JavaConverters.asScalaBuffer(list).toList();
    }
}

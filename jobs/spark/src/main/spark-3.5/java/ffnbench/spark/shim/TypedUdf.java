package ffnbench.spark.shim;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoder;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder$;
import org.apache.spark.sql.expressions.SparkUserDefinedFunction;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataType;
import scala.Option;
import scala.collection.JavaConverters;

/**
 * A Spark SQL function with typed encoders, so that it receives and returns primitive arrays.
 * Spark 3.5 (this file) takes the encoders as {@code ExpressionEncoder}s; Spark 4 takes any
 * {@code Encoder} (src/main/spark-4). The rest of ffnbench calls {@link #create} on either line.
 */
public final class TypedUdf {
    private TypedUdf() {}

    /**
     * @param function  a Scala {@code FunctionN} over the decoded inputs
     * @param output    the result's encoder, or null to convert the result from {@code returnType}
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static UserDefinedFunction create(Object function, DataType returnType, List<AgnosticEncoder<?>> inputs,
                                             AgnosticEncoder<?> output, String name, boolean nullable) {
        List<Option<ExpressionEncoder<?>>> encoders = new ArrayList<>();
        for (AgnosticEncoder<?> e : inputs) encoders.add(Option.apply(ExpressionEncoder$.MODULE$.apply((AgnosticEncoder) e)));
        Option<ExpressionEncoder<?>> out = output == null ? Option.empty() : Option.apply(ExpressionEncoder$.MODULE$.apply((AgnosticEncoder) output));
        return new SparkUserDefinedFunction(function, returnType, JavaConverters.asScalaBuffer(encoders).toList(), out,
                Option.apply(name), nullable, true);
    }
}

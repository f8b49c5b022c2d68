package ffnbench.spark.shim;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.catalyst.encoders.AgnosticEncoder;
import org.apache.spark.sql.expressions.SparkUserDefinedFunction;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataType;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A Spark SQL function with typed encoders, so that it receives and returns primitive arrays.
 * Spark 4 (this file) takes any {@code Encoder}, and an {@code AgnosticEncoder} is one; Spark 3.5
 * wants {@code ExpressionEncoder}s (src/main/spark-3.5). The rest of ffnbench calls {@link #create}
 * on either line.
 */
public final class TypedUdf {
    private TypedUdf() {}

    /**
     * @param function  a Scala {@code FunctionN} over the decoded inputs
     * @param output    the result's encoder, or null to convert the result from {@code returnType}
     */
    public static UserDefinedFunction create(Object function, DataType returnType, List<AgnosticEncoder<?>> inputs,
                                             AgnosticEncoder<?> output, String name, boolean nullable) {
        List<Option<Encoder<?>>> encoders = new ArrayList<>();
        for (AgnosticEncoder<?> e : inputs) encoders.add(Option.apply(e));
        Option<Encoder<?>> out = output == null ? Option.empty() : Option.apply(output);
        return new SparkUserDefinedFunction(function, returnType, CollectionConverters.asScala(encoders).toList(), out,
                Option.apply(name), nullable, true);
    }
}

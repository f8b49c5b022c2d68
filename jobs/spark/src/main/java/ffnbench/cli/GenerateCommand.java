package ffnbench.cli;

import ffnbench.spark.TokenBatches;
import ffnbench.data.TokenGenerator;
import ffnbench.spark.Sessions;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code generate}: seeded synthetic token batches, written as Parquet by a distributed Spark job. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate reproducible token batches (one Parquet row per sequence; see data/README.md).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--output", required = true, description = "Output Parquet directory (must not exist).")
    String output;

    @Option(names = "--sequences", defaultValue = "64", description = "Number of sequences (default: ${DEFAULT-VALUE}).")
    long sequences;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--d-model", defaultValue = "512", description = "Hidden size d (default: ${DEFAULT-VALUE}).")
    int dModel;

    @Option(names = "--distribution", defaultValue = "llm",
            description = "gaussian, or llm (outlier channels, heavy-tailed token norms, a massive first token) (default: ${DEFAULT-VALUE}).")
    String distribution;

    @Option(names = "--seed", defaultValue = "7", description = "Seed; same seed, same data, whatever the partitioning (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--partitions", defaultValue = "2", description = "Spark partitions / output files (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Mixin
    SparkOptions sparkOptions;

    @Override
    public Integer call() {
        TokenGenerator.Distribution dist = TokenGenerator.Distribution.parse(distribution);
        Outputs.requireNewParquet(output);
        SparkSession spark = Sessions.getOrCreate("ffnbench generate", sparkOptions.master);
        TokenBatches.writer(TokenBatches.generate(spark, sequences, seqLen, dModel, dist, seed, partitions)).parquet(output);
        System.err.printf("ffnbench generate: wrote %,d sequences × %d tokens × d_model %d (%s, seed %d) to %s%n",
                sequences, seqLen, dModel, dist.id(), seed, output);
        return 0;
    }
}

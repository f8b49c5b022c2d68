package ffnbench.cli;

import ffnbench.data.TokenBatches;
import ffnbench.spark.Sessions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code import-npy} and {@code export-npy}: NumPy arrays ↔ token batches in Parquet. */
public final class NpyCommands {
    private NpyCommands() {}

    @Command(name = "import-npy", mixinStandardHelpOptions = true,
            description = "Import a [sequences, seq_len, d] (or [tokens, d]) float32/float16 .npy file as token batches.")
    public static final class Import implements Callable<Integer> {
        @Option(names = "--input", required = true, description = "The .npy file.")
        Path input;

        @Option(names = "--output", required = true, description = "Output Parquet directory (must not exist).")
        String output;

        @Option(names = "--partitions", defaultValue = "2", description = "Output files (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Mixin
        SparkOptions sparkOptions;

        @Override
        public Integer call() throws Exception {
            SparkSession spark = Sessions.getOrCreate("ffnbench import-npy", sparkOptions.master);
            TokenBatches.fromNpy(spark, input, partitions).write().mode(SaveMode.ErrorIfExists).parquet(output);
            System.err.println("ffnbench import-npy: wrote " + output);
            return 0;
        }
    }

    @Command(name = "export-npy", mixinStandardHelpOptions = true,
            description = "Export token batches (equal seq_len) to a [sequences, seq_len, d] float32 .npy file, ordered by seq_id.")
    public static final class Export implements Callable<Integer> {
        @Option(names = "--input", required = true, description = "Token batches (Parquet).")
        String input;

        @Option(names = "--output", required = true, description = "The .npy file to write.")
        Path output;

        @Mixin
        SparkOptions sparkOptions;

        @Override
        public Integer call() throws Exception {
            SparkSession spark = Sessions.getOrCreate("ffnbench export-npy", sparkOptions.master);
            TokenBatches.toNpy(TokenBatches.read(spark, input), output);
            System.err.println("ffnbench export-npy: wrote " + output);
            return 0;
        }
    }
}

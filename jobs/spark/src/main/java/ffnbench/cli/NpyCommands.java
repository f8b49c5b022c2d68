package ffnbench.cli;

import ffnbench.spark.TokenBatches;
import ffnbench.spark.Sessions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
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
            Outputs.requireNewParquet(output);
            SparkSession spark = Sessions.getOrCreate("ffnbench import-npy", sparkOptions.master);
            TokenBatches.writer(TokenBatches.fromNpy(spark, input, partitions)).parquet(output);
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

        @Option(names = "--overwrite", description = "Replace the output if it exists (default: refuse).")
        boolean overwrite;

        @Mixin
        SparkOptions sparkOptions;

        @Override
        public Integer call() throws Exception {
            Outputs.requireNew(output, overwrite);
            SparkSession spark = Sessions.getOrCreate("ffnbench export-npy", sparkOptions.master);
            TokenBatches.toNpy(TokenBatches.read(spark, input), output);
            System.err.println("ffnbench export-npy: wrote " + output);
            return 0;
        }
    }

    @Command(name = "import-text", mixinStandardHelpOptions = true,
            description = {"Write real MiniLM hidden states of a text file's lines as token batches.",
                "Each line is one sequence, tokenised and embedded by the built-in all-MiniLM-L6-v2 model and run",
                "through its layers up to the chosen one (d_model 384)."})
    public static final class ImportText implements Callable<Integer> {
        @Option(names = "--input", required = true, description = "Text file, one sentence or passage per line.")
        Path input;

        @Option(names = "--output", required = true, description = "Output Parquet directory (must not exist).")
        String output;

        @Option(names = "--layer", defaultValue = "0",
                description = "Hidden states entering this layer: 0 = embedding output, 6 = encoder output (default: ${DEFAULT-VALUE}).")
        int layer;

        @Option(names = "--max-tokens", defaultValue = "128",
                description = "Truncate each line to this many tokens, [CLS] and [SEP] included (default: ${DEFAULT-VALUE}, at most 512).")
        int maxTokens;

        @Option(names = "--partitions", defaultValue = "2", description = "Output files (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Mixin
        SparkOptions sparkOptions;

        @Override
        public Integer call() throws Exception {
            if (!java.nio.file.Files.isRegularFile(input)) throw new IllegalArgumentException("--input " + input + " does not exist");
            Outputs.requireNewParquet(output);
            if (maxTokens < 2 || maxTokens > ffnbench.weights.MiniLm.MAX_POSITIONS) {
                throw new IllegalArgumentException("--max-tokens must be in 2.." + ffnbench.weights.MiniLm.MAX_POSITIONS);
            }
            java.util.List<String> lines = java.nio.file.Files.readAllLines(input);
            SparkSession spark = Sessions.getOrCreate("ffnbench import-text", sparkOptions.master);
            TokenBatches.writer(TokenBatches.fromMiniLmText(spark, lines, layer, maxTokens, partitions)).parquet(output);
            System.err.println("ffnbench import-text: wrote MiniLM hidden states entering layer " + layer + " to " + output);
            return 0;
        }
    }
}

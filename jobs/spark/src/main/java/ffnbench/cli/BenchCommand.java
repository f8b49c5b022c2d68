package ffnbench.cli;

import ffnbench.bench.BenchConfig;
import ffnbench.math.Gemm;
import ffnbench.spark.BenchJob;
import ffnbench.spark.Sessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench}: the benchmark job. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run the benchmark (serial vs parallel blocks, FFN variants) and write a run directory.",
            "Token batches go through every configured case (model × FFN variant × formulation) as a Spark SQL",
            "function; activation statistics are merged across executors; results land in <output>/<run-id>/."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", defaultValue = "conf/default.json",
            description = "Bench config (JSON with comments; fields in conf/README.md) (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--set", paramLabel = "FIELD=VALUE",
            description = "Override a config field, e.g. --set data.sequences=16 --set iterations.measured=5 --set models.0.set.d_model=1024.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--study", paramLabel = "ID",
            description = {"Study id (same as config field study): results go to <output>/<ID>; re-running the same id",
                "resumes it, skipping the cases already completed."})
    String study;

    @Mixin
    SparkOptions sparkOptions;

    @Override
    public Integer call() throws Exception {
        if (study != null) overrides.put("study", "\"" + study + "\"");
        BenchConfig cfg = BenchConfig.load(config, overrides);
        SparkSession spark = Sessions.getOrCreate("ffnbench bench " + cfg.name(), sparkOptions.master);
        System.err.printf("ffnbench bench: config %s, Spark %s (Scala %s, %s), Java %s, BLAS %s, element-wise %s%n", config,
                spark.version(), scala.util.Properties.versionNumberString(), spark.sparkContext().master(),
                System.getProperty("java.version"), ffnbench.backend.Blas.info().summary(), ffnbench.backend.Simd.describe());
        BenchJob.Run run = new BenchJob(spark, cfg, System.err).run();
        System.out.println(Files.readString(run.dir().resolve("summary.md")));
        System.out.println("Results: " + run.dir() + " (summary.md, summary.json, timings.parquet, stats.parquet"
                + (Files.isDirectory(run.dir().resolve("sparsity.parquet")) ? ", sparsity.parquet)" : ")"));
        return 0;
    }
}

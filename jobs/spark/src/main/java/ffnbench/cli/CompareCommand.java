package ffnbench.cli;

import ffnbench.analysis.Comparison;
import ffnbench.report.CompareJob;
import ffnbench.report.ReportJob;
import ffnbench.spark.Sessions;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code compare}: run directories → per-case change tables; exit code 3 on a significant regression. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compare runs or studies case by case: the first directory is the base, each further one is",
            "compared with it. Prints Markdown; writes compare.md, compare.json and compare.parquet.",
            "Exit codes: 0 no regression, 3 at least one significant regression beyond --threshold, 2 bad input."})
public final class CompareCommand implements Callable<Integer> {
    /** Exit code for "a significant regression was found" (distinct from errors, for CI scripts). */
    public static final int REGRESSION_EXIT = 3;

    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "Base run directory, then the runs to compare with it.")
    List<Path> runs;

    @Option(names = "--within", paramLabel = "A=B",
            description = {"Compare inside each run instead: cases whose id has segment A against the same id with B,",
                "e.g. --within serial=parallel (B relative to A)."})
    String within;

    @Option(names = "--metrics", split = ",", defaultValue = "tokens_per_s,gflops_per_s,wall_s",
            description = "Timings columns to compare (default: ${DEFAULT-VALUE}).")
    List<String> metrics;

    @Option(names = "--threshold", defaultValue = "5",
            description = "Percent worse (and significant) that counts as a regression (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--output", description = "Directory for compare.md/.json/.parquet (default: runs/compare-<time>).")
    Path output;

    @Option(names = "--overwrite", description = "Replace outputs that exist (default: refuse).")
    boolean overwrite;

    @Mixin
    SparkOptions sparkOptions;

    @Override
    public Integer call() throws Exception {
        List<Comparison.Metric> ms = metrics.stream().map(String::trim).map(Comparison.Metric::parse).toList();
        String[] pair = null;
        if (within != null) {
            pair = within.split("=", -1);
            if (pair.length != 2 || pair[0].isBlank() || pair[1].isBlank() || pair[0].equals(pair[1])) {
                throw new IllegalArgumentException("--within must be A=B with two different id segments, e.g. serial=parallel");
            }
        }
        for (Path p : runs) ReportJob.open(p);   // validate before starting Spark
        Path out = output != null ? output
                : Path.of("runs", "compare-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Outputs.requireNewIn(out, overwrite, "compare.md", "compare.json", "compare.parquet");
        CompareJob.Result r = CompareJob.run(Sessions.getOrCreate("ffnbench compare",
                sparkOptions.master == null ? "local[1]" : sparkOptions.master), runs, ms, threshold, out, pair);
        System.out.println(r.markdown());
        System.out.println("Written: " + out.resolve("compare.md") + ", compare.json, compare.parquet");
        if (!r.regressions().isEmpty()) {
            System.err.printf("ffnbench compare: %d regression(s) beyond %.1f%%:%n", r.regressions().size(), threshold);
            r.regressions().forEach(x -> System.err.printf("  %s %s: %+.1f%%%n", x.metric(), x.caseId(), x.changePct()));
            return REGRESSION_EXIT;
        }
        return 0;
    }
}

package ffnbench.cli;

import ffnbench.report.ReportJob;
import ffnbench.spark.Sessions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code report}: run directories → HTML report with charts. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Write an HTML report (self-contained, opens offline) and PNG charts for one or several runs.",
            "Charts: throughput with CIs, parallel/serial speedup, per-stage time, ffn_act histograms,",
            "per-neuron firing frequency (dead neurons), input outlier channels."})
public final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "Run directories written by bench (runs/<run-id>).")
    List<Path> runs;

    @Option(names = "--output", required = true, description = "Directory for report.html, report.md and the PNG charts.")
    Path output;

    @Option(names = "--overwrite", description = "Replace outputs that exist (default: refuse).")
    boolean overwrite;

    @Mixin
    SparkOptions sparkOptions;

    @Override
    public Integer call() throws Exception {
        for (Path p : runs) ReportJob.open(p);   // validate before starting Spark
        Outputs.requireNewIn(output, overwrite, "report.html", "report.md");
        Path html = ReportJob.write(Sessions.getOrCreate("ffnbench report", sparkOptions.master == null ? "local[1]" : sparkOptions.master),
                runs, output);
        System.out.println("Report: " + html);
        return 0;
    }
}

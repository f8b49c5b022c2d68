package ffnbench.cli;

import picocli.CommandLine.Option;

/** Options shared by the commands that run Spark jobs. */
public final class SparkOptions {
    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master when not launched by spark-submit, e.g. local[2] (default: local[*]).")
    String master;
}

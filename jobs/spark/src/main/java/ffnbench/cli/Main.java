package ffnbench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single command-line entry: {@code ffnbench <command> [options]}; each command has {@code --help}. */
@Command(name = "ffnbench", mixinStandardHelpOptions = true, version = "ffnbench 0.1.0",
        description = "Benchmark and analyse transformer FFN sublayers and blocks on Apache Spark.",
        subcommands = {EnvCommand.class, GenerateCommand.class, BenchCommand.class, ReportCommand.class, CompareCommand.class, ScalingCommand.class, ForwardCommand.class,
            NpyCommands.Import.class, NpyCommands.Export.class, NpyCommands.ImportText.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Bad input is reported as one clear line; anything else keeps its stack trace.
            if (e instanceof IllegalArgumentException || e instanceof java.io.IOException
                    || e instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("ffnbench " + cmd.getCommandName() + ": error: " + e.getMessage());
                return 2;
            }
            if (e instanceof ffnbench.spark.CaseFailure) {   // names the case and the cause in full
                cmd.getErr().println("ffnbench " + cmd.getCommandName() + ": error: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}

package ffnbench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Spark 3.5: the notebooks run in Spark's own REPL (spark-shell's), which binds {@code spark} itself. */
final class NotebookRepl {
    private NotebookRepl() {}

    /** The main class and its arguments that load {@code files} in order, as {@code -i} files. */
    static List<String> command(Path repo, List<Path> files) {
        List<String> cmd = new ArrayList<>(List.of("org.apache.spark.repl.Main"));
        for (Path f : files) cmd.addAll(List.of("-i", f.toString()));
        return cmd;
    }
}

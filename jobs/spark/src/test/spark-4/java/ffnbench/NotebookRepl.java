package ffnbench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Spark 4: Spark publishes no REPL for Scala 2.13 here, so the notebooks run in the Scala compiler's
 * own REPL, with class-based line wrappers as spark-shell uses, after notebooks/local-spark-session.scala
 * has bound {@code spark} and made spark-shell's imports.
 */
final class NotebookRepl {
    private NotebookRepl() {}

    /** The main class and its arguments that load {@code files} in order, as {@code -i} files. */
    static List<String> command(Path repo, List<Path> files) {
        List<String> cmd = new ArrayList<>(List.of("scala.tools.nsc.MainGenericRunner", "-usejavacp", "-Yrepl-class-based",
                "-i", repo.resolve("notebooks/local-spark-session.scala").toString()));
        for (Path f : files) cmd.addAll(List.of("-i", f.toString()));
        return cmd;
    }
}

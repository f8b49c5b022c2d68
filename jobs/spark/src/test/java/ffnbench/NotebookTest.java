package ffnbench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the Databricks notebooks (Scala source format, unchanged) in a Scala REPL against local
 * Spark ({@link NotebookRepl}: Spark's REPL on Spark 3.5, the Scala compiler's on Spark 4), with
 * notebooks/local-shim.scala supplying display() and dbutils.widgets. The REPL exits 0
 * even when a cell fails, so success is the marker the last cell prints, and no REPL error.
 */
class NotebookTest {
    static final Path REPO = Path.of(System.getProperty("ffnbench.repo", ".")).toAbsolutePath();

    @TempDir
    Path dir;

    static String runNotebook(String name, Path output, String... widgets) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ProcessHandle.current().info().arguments().map(List::of).orElse(List.of()).stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-modules") || a.startsWith("-XX:+Ignore")
                        || a.startsWith("-Djdk.reflect")).toList());
        cmd.addAll(List.of("-Xmx3g", "-Dscala.usejavacp=true", "-Dspark.master=local[2]", "-Dspark.ui.enabled=false",
                "-Dspark.driver.host=127.0.0.1", "-Dlog4j2.configurationFile=" + REPO.resolve("conf/log4j2.properties"),
                "-Dwidget.output=" + output));
        for (String w : widgets) cmd.add("-Dwidget." + w);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.addAll(NotebookRepl.command(REPO, List.of(REPO.resolve("notebooks/local-shim.scala"), REPO.resolve("notebooks/" + name + ".scala"))));
        Process p = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), name + " timed out");
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"01-quickstart", "02-activation-study", "03-throughput-study"})
    void notebookRunsToTheEnd(String name) throws Exception {
        String out = runNotebook(name, dir.resolve("runs"));
        assertTrue(out.contains("NOTEBOOK-OK " + name), name + " did not finish:\n" + tail(out));
        assertFalse(out.contains("error:"), name + " had a REPL error:\n" + tail(out));
    }

    @Test
    void aWidgetOutOfRangeStopsTheNotebookWithAClearMessage() throws Exception {
        String out = runNotebook("01-quickstart", dir.resolve("runs"), "sequences=0");
        assertFalse(out.contains("NOTEBOOK-OK"), tail(out));
        assertTrue(out.contains("widget sequences must be in 1..1000000, got 0"), tail(out));
    }

    static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }
}

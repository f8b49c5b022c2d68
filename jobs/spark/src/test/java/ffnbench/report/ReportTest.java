package ffnbench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.bench.BenchConfig;
import ffnbench.report.ReportJob;
import ffnbench.spark.BenchJob;
import ffnbench.spark.TestSpark;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report job on a real run: charts drawn and non-empty, HTML self-contained, and rendered by Chromium. */
class ReportTest {
    @TempDir
    static Path dir;
    static Path run;

    @BeforeAll
    static void benchRun() throws Exception {
        String json = "{\"name\": \"r\", \"output\": \"" + dir.resolve("runs") + "\", \"data\": {\"sequences\": 6, \"seq_len\": 16},"
                + " \"models\": [{\"name\": \"tiny\", \"source\": \"preset:llama\", \"set\": {\"d_model\": 64, \"heads\": 4, \"d_ff\": 96},"
                + " \"variants\": [\"swiglu\", \"relu\"], \"formulations\": [\"serial\", \"parallel\"]}],"
                + " \"iterations\": {\"warmup\": 0, \"measured\": 2}}";
        BenchConfig cfg = BenchConfig.parse(new ObjectMapper().readTree(json), Map.of());
        run = new BenchJob(TestSpark.session(), cfg, new PrintStream(new ByteArrayOutputStream())).run().dir();
    }

    /** Distinct colours in an image: a blank or empty chart has very few. */
    static int colours(BufferedImage img) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) seen.add(img.getRGB(x, y));
        }
        return seen.size();
    }

    @Test
    void chartsAndSelfContainedHtml() throws Exception {
        Path out = dir.resolve("report");
        Path html = ReportJob.write(TestSpark.session(), List.of(run), out);
        for (String chart : new String[] {"throughput.png", "speedup.png", "stages.png", "histograms.png", "firing.png", "outliers.png"}) {
            BufferedImage img = ImageIO.read(out.resolve(chart).toFile());
            assertEquals(1000, img.getWidth(), chart);
            assertTrue(colours(img) > 20, chart + " looks empty");
        }
        String page = Files.readString(html);
        Matcher m = Pattern.compile("<img alt=\"[a-z]+\\.png\" src=\"data:image/png;base64,").matcher(page);
        int images = 0;
        while (m.find()) images++;
        assertEquals(6, images, "every chart embedded");
        Matcher captions = Pattern.compile("<figcaption>([^<]+)</figcaption>").matcher(page);
        int captioned = 0;
        while (captions.find()) captioned++;
        assertEquals(6, captioned, "every chart has a caption saying how to read it");
        assertTrue(!page.contains("src=\"http") && !page.contains("<script"), "opens offline");
        var blas = ffnbench.backend.Blas.info();
        assertTrue(page.contains(ReportJob.escape(ReportJob.blasText(new ObjectMapper().valueToTree(blas.toMap())))),
                "the run's BLAS is named: " + blas);
        assertTrue(Files.readString(out.resolve("report.md")).contains("Parallel vs serial"));
    }

    /** Warnings in summary.json reach the report's page; version 1 runs (BLAS as a class name) still open. */
    @Test
    void warningsAreShownAndOlderRunsStillOpen() throws Exception {
        Path copy = dir.resolve("with-warning");
        copyTree(run, copy);
        var json = new ObjectMapper();
        var summary = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(copy.resolve("summary.json").toFile());
        var env = (com.fasterxml.jackson.databind.node.ObjectNode) summary.path("environment");
        env.putArray("warnings").add("driver: the pure-Java BLAS ran (test)");
        // A case whose every iteration was disturbed has no mean: Jackson writes NaN as "NaN".
        ((com.fasterxml.jackson.databind.node.ObjectNode) summary.path("cases").get(0)).put("tokens_per_s", "NaN");
        json.writeValue(copy.resolve("summary.json").toFile(), summary);
        String page = Files.readString(ReportJob.write(TestSpark.session(), List.of(copy), dir.resolve("warning-report")));
        assertTrue(page.contains("class=\"warning\"") && page.contains("the pure-Java BLAS ran (test)"), "warning shown");

        summary.put("format_version", 1);
        env.put("blas", "JNIBLAS");
        env.remove(List.of("executors", "warnings"));
        json.writeValue(copy.resolve("summary.json").toFile(), summary);
        assertTrue(Files.readString(ReportJob.write(TestSpark.session(), List.of(copy), dir.resolve("v1-report"))).contains("BLAS JNIBLAS"));
    }

    static void copyTree(Path from, Path to) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }

    @Test
    void sweepChartsShowTheKneeAndTheRatioAgainstDModel() throws Exception {
        String json = "{\"name\": \"sw\", \"output\": \"" + dir.resolve("runs") + "\", \"data\": {\"sequences\": 4, \"seq_len\": [8, 16, 32]},"
                + " \"models\": [{\"name\": \"t\", \"source\": \"preset:llama\", \"set\": {\"d_model\": [32, 64], \"heads\": 4, \"d_ff\": \"2x\"}}],"
                + " \"iterations\": {\"warmup\": 1, \"measured\": 2}, \"stats\": {\"enabled\": false}}";
        Path sweep = new BenchJob(TestSpark.session(), BenchConfig.parse(new ObjectMapper().readTree(json), Map.of()),
                new PrintStream(new ByteArrayOutputStream())).run().dir();
        Path out = dir.resolve("sweep-report");
        ReportJob.write(TestSpark.session(), List.of(sweep), out);
        for (String chart : new String[] {"throughput-vs-seq-len.png", "ratio-vs-d-model.png"}) {
            assertTrue(colours(ImageIO.read(out.resolve(chart).toFile())) > 20, chart + " looks empty");
        }
        java.util.TreeMap<Double, Double> curve = new java.util.TreeMap<>(Map.of(8.0, 100.0, 16.0, 180.0, 32.0, 195.0, 64.0, 200.0));
        assertEquals(16.0, ReportJob.knee(curve), "first size within 10% of the best (180 ≥ 0.9 × 200)");
        curve.put(128.0, Double.NaN);
        assertEquals(16.0, ReportJob.knee(curve), "a size without clean iterations is no point of the curve");
        assertTrue(Double.isNaN(ReportJob.knee(new java.util.TreeMap<>(Map.of(8.0, Double.NaN)))), "no clean point, no knee");
    }

    @Test
    void missingOrIncompatibleRunDirectories() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReportJob.write(TestSpark.session(), List.of(dir.resolve("nope")), dir.resolve("r1")));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("does not exist"), e.getMessage());
        Path old = dir.resolve("old-run");
        Files.createDirectories(old);
        Files.writeString(old.resolve("summary.json"), "{\"run_id\": \"x\", \"format_version\": 0}");
        e = assertThrows(IllegalArgumentException.class, () -> ReportJob.write(TestSpark.session(), List.of(old), dir.resolve("r2")));
        assertTrue(e.getMessage().contains("format version 0"), e.getMessage());
    }

    /** Debian's Chromium, headless, renders the page; the screenshot shows the charts. (.ci/run installs it.) */
    @Test
    void rendersInHeadlessChromium() throws Exception {
        String chromium = Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser").filter(p -> new File(p).canExecute())
                .findFirst().orElse(null);
        Assumptions.assumeTrue(chromium != null, "Chromium is not installed (apt-get install chromium)");
        Path html = ReportJob.write(TestSpark.session(), List.of(run), dir.resolve("render"));
        Path shot = dir.resolve("shot.png");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + dir.resolve("chrome-profile"), "--window-size=1100,2400",
                "--screenshot=" + shot, html.toUri().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "chromium timed out");
        assertTrue(Files.isRegularFile(shot), "no screenshot: " + out);
        BufferedImage img = ImageIO.read(shot.toFile());
        assertTrue(colours(img) > 50, "the rendered page shows charts");
    }
}

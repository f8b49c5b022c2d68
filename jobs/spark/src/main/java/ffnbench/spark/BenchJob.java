package ffnbench.spark;

import static org.apache.spark.sql.functions.col;

import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import ffnbench.bench.IterationPlan;
import ffnbench.study.CaseRecords;
import ffnbench.bench.MemoryPlan;
import ffnbench.study.StudyManifest;
import ffnbench.study.IterationResult;
import ffnbench.stats.CaseStats;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The {@code bench} job: token batches → every case's layers as a Spark SQL function → statistics
 * merged by a Spark aggregation → a run directory. Each case iteration is one Spark action in its
 * own job group, so its wall time and task metrics are its own.
 */
public final class BenchJob {

    /** What a finished run produced. */
    public record Run(String id, Path dir, List<IterationResult> iterations, Map<String, String> stops,
                      Map<String, CaseStats> stats, Map<String, TokenBatches.Shape> inputs) { }

    private final SparkSession spark;
    private final BenchConfig config;
    private final PrintStream progress;

    public BenchJob(SparkSession spark, BenchConfig config, PrintStream progress) {
        this.spark = spark;
        this.config = config;
        this.progress = progress;
    }

    /**
     * Runs every case and writes the run directory. With a study id (config {@code study} or
     * {@code --study}) the directory is {@code <output>/<study>}: an interrupted study keeps its
     * completed cases in {@code <output>/.<study>.incomplete} and a re-run skips them; without one,
     * each run gets a fresh timestamped id and a failed run leaves nothing behind.
     */
    public Run run() throws IOException, InterruptedException {
        List<BenchCase> cases = BenchCase.expand(config);   // validates every case before any work
        SparkBackends.choose(spark.sparkContext().getConf());   // a session not made by Sessions (a notebook's) too
        if (SparkBackends.backend(spark.sparkContext().getConf()).equals("gpu")) {
            for (BenchCase c : cases) {
                if (c.config().isMoe()) {
                    throw new IllegalArgumentException("case " + c.id() + " has a mixture-of-experts MLP, which runs on the CPU block "
                            + "function only, and this session runs it on the GPU (RAPIDS plugin on): run it without the plugin (docs/GPU.md)");
                }
            }
        }
        if (config.sparsity() != null && SparkBackends.backend(spark.sparkContext().getConf()).equals("gpu")) {
            throw new IllegalArgumentException("config: sparsity (the activation-sparsity analysis) runs on the CPU block function "
                    + "only, and this session runs it on the GPU (RAPIDS plugin on): drop the sparsity section, or run without "
                    + "the plugin (docs/GPU.md)");
        }
        boolean study = config.study() != null;
        String runId = study ? config.study() : config.name() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + Long.toHexString(System.nanoTime() & 0xffff);
        Path runs = Path.of(config.output()).toAbsolutePath();
        Path work = runs.resolve("." + runId + ".incomplete");
        Path done = runs.resolve(runId);
        if (study && Files.isDirectory(done)) {
            StudyManifest.check(done, runId, config, cases);
            progress.printf("study %s is already complete (%d cases) in %s: nothing to run%n", runId, cases.size(), done);
            return readRecords(runId, done, cases, Map.of());
        }
        for (String w : MemoryPlan.check(cases.stream().filter(c -> c.data().input() == null).toList(), c -> c.data().seqLen(),
                Sessions.memoryBudget(spark), config.refuseOverMemory())) {
            progress.println("warning: " + w);
        }
        tidyIncomplete(runs, work);
        java.nio.channels.FileChannel lock;
        if (study && Files.isDirectory(work)) {
            lock = RunLock.hold(work, runId);   // before anything in it is touched
            try {
                StudyManifest.check(work, runId, config, cases);
                CaseRecords.removeUnfinished(work);
                for (String damaged : CaseRecords.removeDamaged(work, cases)) progress.println("warning: " + damaged);
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
            long completed = cases.stream().filter(c -> CaseRecords.completed(work, c.id())).count();
            progress.printf("resuming study %s: %d of %d cases already completed%n", runId, completed, cases.size());
        } else {
            Files.createDirectories(work);
            lock = RunLock.hold(work, runId);
            try {
                StudyManifest.write(work, runId, config, cases);
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
        }
        TaskMetricsListener listener = new TaskMetricsListener();
        spark.sparkContext().addSparkListener(listener);
        Thread interrupted = new Thread(() -> progress.println(interruptedLine(study, runId, work, cases)));
        Runtime.getRuntime().addShutdownHook(interrupted);   // Ctrl-C or SIGTERM mid-run
        executorReport = spark.sparkContext().collectionAccumulator("ffnbench executor backends");
        try {
            Map<String, String> inputByCase = prepareInputs(cases, work);
            Map<String, TokenBatches.Shape> shapes = new LinkedHashMap<>();
            for (BenchCase c : cases) {   // check every input against its cases before any case runs
                String in = inputByCase.get(c.id());
                TokenBatches.Shape s = shapes.computeIfAbsent(in, p -> {
                    Dataset<Row> tokens = TokenBatches.read(spark, p);
                    inputSchemas.put(p, tokens.schema());
                    return TokenBatches.shape(tokens, p);
                });
                if (s.dModel() != c.dModel()) {
                    throw new IllegalArgumentException("input " + in + " has d_model " + s.dModel() + " but case " + c.id()
                            + " needs d_model " + c.dModel() + "; give that model its own data (models[].input) or drop data.input");
                }
            }
            for (String w : MemoryPlan.check(cases.stream().filter(c -> c.data().input() != null).toList(),
                    c -> shapes.get(inputByCase.get(c.id())).maxSeqLen(), Sessions.memoryBudget(spark), config.refuseOverMemory())) {
                progress.println("warning: " + w);
            }
            long started = System.nanoTime();
            // ETA by work left: tokens × FLOPs per token of the cases still to run, at the rate so far
            double workLeft = 0, workDone = 0;
            for (BenchCase c : cases) {
                if (!CaseRecords.completed(work, c.id())) workLeft += work(c, shapes.get(inputByCase.get(c.id())));
            }
            // Cases compared with each other (the same model, variant, placement and sweep point) are
            // measured interleaved, an iteration of each in turn: the JVM's warming and the machine's
            // drift then fall on all of them alike instead of favouring whichever runs last.
            Map<BenchCase.ComparisonGroup, List<BenchCase>> groups = new LinkedHashMap<>();
            for (BenchCase c : cases) groups.computeIfAbsent(c.comparisonGroup(), g -> new ArrayList<>()).add(c);
            boolean firstGroup = true;   // the first group that runs (a resumed study may skip some)
            for (List<BenchCase> group : groups.values()) {
                List<CaseRun> running = new ArrayList<>();
                long groupStarted = System.nanoTime();
                for (BenchCase c : group) {
                    String input = inputByCase.get(c.id());
                    String position = (cases.indexOf(c) + 1) + "/" + cases.size();
                    if (CaseRecords.completed(work, c.id())) {
                        progress.printf("[%s] %s: already completed, skipped%n", position, c.id());
                        continue;
                    }
                    progress.printf("[%s] %s on %s (%,d sequences, %,d tokens)%s%s%n", position, c.id(), input,
                            shapes.get(input).sequences(), shapes.get(input).tokens(), eta(started, workDone, workLeft),
                            running.isEmpty() ? "" : ", interleaved with " + running.get(running.size() - 1).c.id());
                    if (c.expertParallel()) {
                        MemoryPlan.ExpertPlan ep = MemoryPlan.expertPlan(c, shapes.get(input).tokens());
                        progress.printf("    expert parallel: %d experts on %d dispatch partitions (up to %d each); the shuffles carry "
                                + "~%s per iteration%n", c.config().moe().experts(), ep.partitions(), ep.expertsPerPartition(),
                                MemoryPlan.bytes(ep.shuffleBytes()));
                    }
                    running.add(new CaseRun(c, input, shapes.get(input), runId, listener, firstGroup, groupStarted));
                }
                if (!running.isEmpty()) firstGroup = false;
                for (CaseRun r : running) r.interleaved = running.size() > 1;
                while (!running.isEmpty()) {
                    for (java.util.Iterator<CaseRun> it = running.iterator(); it.hasNext(); ) {
                        CaseRun r = it.next();
                        CaseResult result = r.step();
                        if (result == null) continue;
                        it.remove();
                        BenchCase c = r.c;
                        if (c.statistics().sparsity() != null && c.statistics().sparsity().settings().measureError()) {
                            measureSparsityError(c, r.input, r.shape, runId, listener, result.stats());
                        }
                        CaseRecords.write(work, c, result.iterations(), result.stop().text(), result.stats());
                        double w = work(c, r.shape);
                        workDone += w;
                        workLeft -= w;
                    }
                }
            }
            // Every case's results as recorded (run now or by an earlier, interrupted run of the study)
            Run recorded = readRecords(runId, work, cases, shapes);
            RunWriter.write(spark, work, done, runId, config, cases, recorded, inputByCase, executorsReported());
            RunLock.release(lock, work);
            Files.move(work, done);
            return new Run(runId, done, recorded.iterations(), recorded.stops(), recorded.stats(), shapes);
        } catch (Exception e) {
            if (study) {
                long completed = cases.stream().filter(c -> CaseRecords.completed(work, c.id())).count();
                progress.printf("study %s stopped: %d of %d cases completed and kept in %s; run the same config again to "
                        + "resume%n", runId, completed, cases.size(), work);
            } else {
                deleteRecursively(work);
            }
            throw unwrap(e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook says what was left
            }
            spark.sparkContext().removeSparkListener(listener);
            lock.close();
            shipped.values().forEach(b -> b.destroy());
            shipped.clear();
        }
    }

    /**
     * What killed runs left in the output directory: a plain run's incomplete directory holds no results,
     * so one that no process holds any more is removed; an interrupted study (other than this one) is
     * named with how to resume it.
     */
    private void tidyIncomplete(Path runs, Path work) throws IOException {
        java.time.Instant dayAgo = java.time.Instant.now().minus(java.time.Duration.ofDays(1));
        for (StudyManifest.Incomplete i : StudyManifest.incomplete(runs)) {
            if (i.dir().equals(work)) continue;
            if (i.study()) {
                progress.printf("note: study %s was interrupted earlier and is kept in %s; run its config again to resume it%n",
                        i.id(), i.dir());
            } else if (RunLock.abandoned(i.dir(), dayAgo)) {
                CaseRecords.deleteTree(i.dir());
                progress.printf("note: removed %s, the incomplete directory of a run that was killed%n", i.dir());
            }
        }
    }

    /** What an interrupted run leaves, said as the JVM exits: a study keeps its completed cases, a plain run nothing. */
    private static String interruptedLine(boolean study, String runId, Path work, List<BenchCase> cases) {
        if (!study) {
            try {
                CaseRecords.deleteTree(work);
                return "ffnbench bench interrupted: the incomplete run " + runId + " was removed";
            } catch (IOException | RuntimeException e) {
                return "ffnbench bench interrupted: the incomplete run in " + work + " holds no results; delete it";
            }
        }
        long completed = cases.stream().filter(c -> CaseRecords.completed(work, c.id())).count();
        return "ffnbench bench interrupted: study " + runId + " has " + completed + " of " + cases.size() + " cases completed in "
                + work + "; run the same config again to resume";
    }

    /** Where the tasks report their executors' backends (one accumulator per run). */
    private org.apache.spark.util.CollectionAccumulator<String> executorReport;

    /** One record per executor that ran tasks in this run (the first report of each), by executor id. */
    private List<Map<String, Object>> executorsReported() throws IOException {
        Map<String, Map<String, Object>> byId = new java.util.TreeMap<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String record : executorReport.value()) {
            Map<String, Object> e = json.readValue(record, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
            byId.putIfAbsent(String.valueOf(e.get("executor_id")), e);
        }
        return new ArrayList<>(byId.values());
    }

    /** The cases' results read back from their records in {@code dir} (nothing is re-run or rewritten). */
    private static Run readRecords(String runId, Path dir, List<BenchCase> cases, Map<String, TokenBatches.Shape> shapes)
            throws IOException {
        List<IterationResult> iterations = new ArrayList<>();
        Map<String, String> stops = new LinkedHashMap<>();
        Map<String, CaseStats> stats = new LinkedHashMap<>();
        for (BenchCase c : cases) {
            CaseRecords.Completed r = CaseRecords.read(dir, c);
            iterations.addAll(r.iterations());
            stops.put(c.id(), r.stop());
            stats.put(c.id(), r.stats());
        }
        return new Run(runId, dir, iterations, stops, stats, shapes);
    }

    private static String eta(long startedNs, double workDone, double workLeft) {
        if (workDone == 0) return "";
        double secondsPerWork = (System.nanoTime() - startedNs) / 1e9 / workDone;
        return String.format(" — ETA %.0f s", secondsPerWork * workLeft);
    }

    /** A case's work for the ETA: tokens × the block's FLOPs per token at the longest sequence × layers (no weights built). */
    private static double work(BenchCase c, TokenBatches.Shape shape) {
        return (double) shape.tokens() * ffnbench.model.Flops.block(c.config(), c.formulation(), shape.maxSeqLen()) * c.layers().size();
    }

    /**
     * The input of every case: its model's or the config's Parquet data, or tokens generated into
     * the run directory (one dataset per d_model × sequences × seq_len, shared by all cases of that
     * shape). A resumed study reuses a generated dataset only if it was written completely.
     */
    private Map<String, String> prepareInputs(List<BenchCase> cases, Path work) throws IOException {
        Map<String, String> byCase = new LinkedHashMap<>();
        Map<String, String> generated = new LinkedHashMap<>();
        BenchConfig.Data d = config.data();
        for (BenchCase c : cases) {
            if (c.data().input() != null) {
                byCase.put(c.id(), c.data().input());
                continue;
            }
            String name = "tokens-d" + c.dModel() + (d.sequences().size() > 1 ? "-n" + c.data().sequences() : "")
                    + (d.seqLens().size() > 1 ? "-t" + c.data().seqLen() : "") + ".parquet";
            Path out = work.resolve("data").resolve(name);
            if (!generated.containsKey(name)) {
                if (Files.exists(out.resolve("_SUCCESS"))) {
                    progress.printf("reusing generated tokens %s%n", out);
                } else {
                    deleteRecursively(out);
                    progress.printf("generating %,d sequences × %d tokens × d_model %d (%s, seed %d) → %s%n",
                            c.data().sequences(), c.data().seqLen(), c.dModel(), d.distribution().id(), d.seed(), out);
                    TokenBatches.writer(TokenBatches.generate(spark, c.data().sequences(), c.data().seqLen(), c.dModel(), d.distribution(),
                            d.seed(), c.data().shards())).parquet(out.toString());
                }
                generated.put(name, out.toString());
            }
            byCase.put(c.id(), generated.get(name));
        }
        return byCase;
    }

    /** Broadcasts of checkpoint weights, one per checkpoint source and layer list, for this run. */
    private final Map<String, org.apache.spark.broadcast.Broadcast<Map<Integer, Map<String, float[]>>>> shipped = new LinkedHashMap<>();

    /**
     * Weights of a checkpoint source (a directory), read once by the driver and broadcast, so each
     * executor receives them once (Spark's torrent broadcast) and no executor needs the driver's
     * path; null for seeded presets (rebuilt from the seed) and the built-in MiniLM.
     */
    private org.apache.spark.broadcast.Broadcast<Map<Integer, Map<String, float[]>>> shippedWeights(BenchCase c) {
        if (!Files.isDirectory(Path.of(c.weights().source()))) return null;
        return shipped.computeIfAbsent(c.weights().source() + "|" + c.layers(), k -> {
            Map<Integer, Map<String, float[]>> layers = new LinkedHashMap<>();
            for (int layer : c.layers()) {
                try {
                    var l = ffnbench.weights.ModelSource.load(c.weights().source(), layer, c.weights().seed(), Map.of());
                    // in the layout the layers compute with, so executors hold one copy (LayerCache)
                    layers.put(layer, l.weights().validate(l.config()).withMatricesTransposed(l.config(), true).tensors());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            progress.printf("broadcasting the weights of %s layers %s to the executors%n", c.weights().source(), c.layers());
            return org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(layers);
        });
    }

    /** One case's measured iterations, why measuring stopped, and the statistics merged in its last iteration. */
    private record CaseResult(List<IterationResult> iterations, IterationPlan.Stop stop, CaseStats stats) { }

    /** Executors that have run tasks in this run, and the listener's executor counts after the last iteration. */
    private final java.util.Set<String> executorsSeen = new java.util.HashSet<>();
    /** Each input's schema, checked once when its shape is read. */
    private final Map<String, org.apache.spark.sql.types.StructType> inputSchemas = new java.util.HashMap<>();

    /** An input's token batches, read with its checked schema (inferring it again would be a Spark job before every query). */
    private Dataset<Row> tokens(String input) {
        return TokenBatches.read(spark, input, inputSchemas.get(input));
    }
    private long executorsAddedBefore = -1, executorsLostBefore;

    /**
     * One case's iterations, run one at a time by {@link #step}: its warm-ups, then measured
     * iterations until the iteration plan says stop (config {@code iterations}). Each iteration is one
     * Spark action, marked disturbed when something other than the case changed its time.
     */
    private final class CaseRun {
        final BenchCase c;
        final String input;
        final TokenBatches.Shape shape;
        private final String runId;
        private final TaskMetricsListener listener;
        private final IterationPlan plan = config.iterations();
        /** In the run's first group of cases, which also warms up for {@code first_warmup_seconds}. */
        private final boolean firstGroup;
        private final long groupStarted;
        /** Whether its lines name the case (cases of its group take turns). */
        boolean interleaved;
        private final List<IterationResult> iterations = new ArrayList<>();
        private int warmups, it;
        /** The case's own measured iterations' time: the budget {@code max_case_seconds} is spent on it alone. */
        private long measuredNs;

        CaseRun(BenchCase c, String input, TokenBatches.Shape shape, String runId, TaskMetricsListener listener,
                boolean firstGroup, long groupStarted) {
            this.c = c;
            this.input = input;
            this.shape = shape;
            this.runId = runId;
            this.listener = listener;
            this.firstGroup = firstGroup;
            this.groupStarted = groupStarted;
        }

        /** Runs the case's next iteration: its result once the plan says stop, else null. */
        CaseResult step() throws InterruptedException {
            String name = interleaved ? c.id() + " " : "";
            boolean warm = iterations.isEmpty() && plan.warmsUp(firstGroup, warmups, (System.nanoTime() - groupStarted) / 1e9);
            String group = runId + "/" + c.id() + "/" + it;
            spark.sparkContext().setJobGroup(group, "ffnbench " + c.id() + (warm ? " warm-up " : " iteration ") + it, false);
            it++;
            // A fresh Dataset per iteration: re-running one Dataset's plan can reuse its shuffle output
            // (Spark skips map stages it already ran), which would time only the final aggregation.
            BlockFunction f = SparkBackends.blockFunction(c, spark.sparkContext().getConf()).withShippedWeights(shippedWeights(c))
                    .withExecutorReport(executorReport);
            // Timed from here: building the query can already run its shuffles (adaptive execution
            // materialises a plan's stages when it becomes an RDD, as the CPU path's input does).
            long t0 = System.nanoTime();
            BlockResult sums;
            try {
                sums = caseResult(spark, f, c, tokens(input), shape);
            } catch (Exception e) {   // Spark throws its SparkException undeclared
                CaseOutOfMemory oom = CaseOutOfMemory.in(e);
                if (oom == null) throw e;
                MemoryPlan.Budget budget = Sessions.memoryBudget(spark);
                throw new CaseFailure(oom.getMessage() + "; " + MemoryPlan.describe(c, shape.maxSeqLen(), budget)
                        + ". Fix: a larger heap (" + budget.fix() + "), or a smaller case", oom);
            }
            long wall = System.nanoTime() - t0;
            spark.sparkContext().clearJobGroup();
            TaskMetricsListener.GroupMetrics m = listener.await(group, 30_000);
            String disturbed = disturbance(m, listener);
            long tokensDone = sums.tokens(), skipped = sums.skipped();
            if (tokensDone == 0) {
                throw new IllegalArgumentException("case " + c.id() + " processed no tokens: every sequence was skipped ("
                        + skipped + " contained NaN/Inf)");
            }
            if (skipped > 0 && it == 1) {   // the same sequences every iteration: said and checked once
                double share = (double) skipped / shape.sequences();
                progress.printf("    warning: %s%,d of %,d sequences (%.2f%%) skipped: NaN/Inf in hidden (on_nonfinite: skip)%n",
                        interleaved ? c.id() + ": " : "", skipped, shape.sequences(), 100 * share);
                if (share > config.maxSkippedFraction()) {
                    throw new IllegalArgumentException("case " + c.id() + " skipped " + skipped + " of " + shape.sequences()
                            + " sequences (" + String.format("%.2f%%", 100 * share) + ") for NaN/Inf in hidden, more than"
                            + " max_skipped_fraction " + config.maxSkippedFraction() + ": repair the input " + input
                            + ", or raise max_skipped_fraction (conf/README.md)");
                }
            }
            if (warm) {
                warmups++;
                progress.printf("    %swarm-up %d: %.2f s%n", name, warmups, wall / 1e9);
                return null;
            }
            measuredNs += System.nanoTime() - t0;
            IterationResult res = new IterationResult(c, iterations.size(), wall, tokensDone, skipped, sums.flops(), sums.stageNs(),
                    sums.totalNs(), m.tasks, m.failedAttempts, m.retriedSuccesses, m.executorRunTimeMs, m.executorCpuTimeNs,
                    m.gcTimeMs, m.executors.size(), disturbed, m.shuffle());
            iterations.add(res);
            progress.printf("    %siteration %d: %.2f s, %,.0f tokens/s, %.1f GFLOP/s%s%n", name, res.iteration() + 1,
                    wall / 1e9, res.tokensPerSecond(), res.gflops(), res.clean() ? "" : " — disturbed: " + disturbed + " (excluded)");
            double[] clean = iterations.stream().filter(IterationResult::clean).mapToDouble(IterationResult::tokensPerSecond).toArray();
            IterationPlan.Stop stop = plan.next(iterations.size(), clean, measuredNs / 1e9);
            if (stop == null) return null;
            progress.printf("    %sstopped: %s%n", name, stop.text());
            return new CaseResult(iterations, stop, CaseStats.fromBytes(sums.partials(), c.statistics().config()));
        }
    }

    /**
     * The sparsity analysis' measured error: thresholds from the calibration sequences' histograms in
     * {@code stats}, then one more pass over the input in which each held-out sequence's FFN and block
     * run sparse and dense ({@link BlockFunction#withSparsityThresholds}); the errors join {@code stats}.
     * Not a measured iteration: its time is the analysis' cost.
     */
    private void measureSparsityError(BenchCase c, String input, TokenBatches.Shape shape, String runId, TaskMetricsListener listener,
                                      CaseStats stats) throws InterruptedException {
        java.util.List<Double> targets = c.statistics().sparsity().settings().targets();
        Map<String, float[]> thresholds = new java.util.LinkedHashMap<>();
        stats.sparsity().forEach((key, s) -> {
            float[] t = new float[targets.size()];
            for (int i = 0; i < t.length; i++) t[i] = s.calibrationThreshold(targets.get(i)).threshold();
            if (s.calibrationThreshold(targets.get(0)).count() == 0) {
                throw new IllegalArgumentException("case " + c.id() + ": no calibration sequence among its " + shape.sequences()
                        + " (sparsity.calibration_fraction " + c.statistics().sparsity().settings().calibrationFraction()
                        + "): raise it, or use more sequences");
            }
            thresholds.put(key, t);
        });
        String group = runId + "/" + c.id() + "/sparsity-error";
        spark.sparkContext().setJobGroup(group, "ffnbench " + c.id() + " sparsity error", false);
        BlockFunction f = SparkBackends.blockFunction(c, spark.sparkContext().getConf()).withShippedWeights(shippedWeights(c))
                .withExecutorReport(executorReport).withSparsityThresholds(thresholds);
        long t0 = System.nanoTime();
        BlockResult sums = caseResult(spark, f, c, tokens(input), shape);
        long wall = System.nanoTime() - t0;
        spark.sparkContext().clearJobGroup();
        listener.await(group, 30_000);
        if (sums.tokens() == 0) {
            throw new IllegalArgumentException("case " + c.id() + ": every one of its " + shape.sequences() + " sequences calibrates "
                    + "(sparsity.calibration_fraction " + c.statistics().sparsity().settings().calibrationFraction()
                    + "), none is left to measure the error on: lower it, or use more sequences");
        }
        stats.merge(CaseStats.fromBytes(sums.partials(), c.statistics().config()));
        progress.printf("    sparsity error: %,d held-out tokens, %.2f s%n", sums.tokens(), wall / 1e9);
    }

    /**
     * Why an iteration is disturbed ({@link IterationResult#disturbance}), from its task metrics and the
     * executors added, lost or running their first tasks since the previous iteration. The run's first
     * iteration is the baseline for executors.
     */
    private String disturbance(TaskMetricsListener.GroupMetrics m, TaskMetricsListener listener) {
        boolean baseline = executorsAddedBefore < 0;
        long added = listener.executorsAdded(), lost = listener.executorsLost();
        List<String> newExecutors = m.executors.stream().filter(e -> !executorsSeen.contains(e)).sorted().toList();
        String why = IterationResult.disturbance(m.failedAttempts, m.retriedSuccesses, baseline ? 0 : lost - executorsLostBefore,
                baseline ? 0 : added - executorsAddedBefore, baseline ? List.of() : newExecutors, m.gcTimeMs, m.executorRunTimeMs);
        executorsSeen.addAll(m.executors);
        executorsAddedBefore = added;
        executorsLostBefore = lost;
        return why;
    }

    /** Spark's switch for its vectorized Parquet reader on nested columns (off by default in Spark 3.5). */
    public static final String NESTED_VECTORIZED_READER = "spark.sql.parquet.enableNestedColumnVectorizedReader";

    /**
     * The Parquet reader settings token batches are read with, rows of {@code rowBytes} each:
     * <ul>
     *   <li>Spark 3.5 decodes a nested column such as {@code hidden} row by row, boxing every value,
     *       unless its vectorized reader is switched on for nested columns, which reads {@code hidden}
     *       at a fraction of that cost (docs/PERFORMANCE.md). A value given at launch ({@code --conf}) stays.</li>
     *   <li>The vectorized reader decodes 4096 rows per batch; a row here is a whole sequence
     *       (seq_len × d floats), so 4096 of them can be gigabytes per task. A batch is capped at ~8 MiB.</li>
     * </ul>
     */
    public static void configureTokenReader(SparkSession spark, long rowBytes) {
        spark.conf().set("spark.sql.parquet.columnarReaderBatchSize", Long.toString(readerBatchRows(rowBytes)));
        if (!spark.sparkContext().getConf().contains(NESTED_VECTORIZED_READER)) spark.conf().set(NESTED_VECTORIZED_READER, "true");
    }

    /**
     * The case's Spark query: tokens → the layers' function → sums of timings and merged statistics.
     * The GPU function runs as a SQL function (RAPIDS executes it on columnar batches); the CPU one
     * over Spark's internal rows ({@link SparkFunctions#applyToRows}), which avoids the per-float
     * boxing of a UDF's input conversion.
     */
    public static Dataset<Row> caseQuery(SparkSession spark, BlockFunction f, BenchCase c, String input, TokenBatches.Shape shape) {
        return caseQuery(spark, f, c, TokenBatches.read(spark, input), shape);
    }

    /**
     * Runs the case once over {@code tokens}: the summed timings and merged statistics. The CPU path
     * with at most {@link #TREE_MERGE_ABOVE} partitions sums in its tasks and on the driver, in one
     * Spark job ({@link SparkFunctions#applyAndSum}); otherwise {@link #caseQuery}'s aggregation.
     */
    static BlockResult caseResult(SparkSession spark, BlockFunction f, BenchCase c, Dataset<Row> tokens, TokenBatches.Shape shape) {
        if (f.columnar() || c.expertParallel() || c.data().shards() > TREE_MERGE_ABOVE) {
            return BlockResult.fromMerged(caseQuery(spark, f, c, tokens, shape).first());
        }
        return SparkFunctions.applyAndSum(f, readAs(spark, c, tokens, shape));
    }

    /** The tokens with the case's reader settings, in the case's partitions. */
    private static Dataset<Row> readAs(SparkSession spark, BenchCase c, Dataset<Row> tokens, TokenBatches.Shape shape) {
        configureTokenReader(spark, 4L * shape.maxSeqLen() * shape.dModel());
        return tokens.rdd().getNumPartitions() == c.data().shards() ? tokens : tokens.repartition(c.data().shards());
    }

    /** {@link #caseQuery(SparkSession, BlockFunction, BenchCase, String, TokenBatches.Shape)} on tokens already read. */
    static Dataset<Row> caseQuery(SparkSession spark, BlockFunction f, BenchCase c, Dataset<Row> tokens, TokenBatches.Shape shape) {
        tokens = readAs(spark, c, tokens, shape);
        // The function's result as one column first, so it is evaluated once per row.
        Dataset<Row> results = c.expertParallel() ? ExpertParallelQuery.results(spark, f, tokens)
                : f.columnar()
                ? tokens.select(SparkFunctions.block(f).apply(col("seq_id"), col("seq_len"), col("d_model"), col("hidden")).as("r"))
                : SparkFunctions.applyToRows(spark, f, tokens);
        if (c.data().shards() <= TREE_MERGE_ABOVE) return merge(results, c, "r.");
        // Many partitions: merge the statistics partials in two levels, ~√P groups of ~√P partitions
        // merged in parallel tasks, then the groups in one task (docs/SCALING.md: the final merge is
        // the one serial step; one level would merge all P partials there).
        int groups = (int) Math.ceil(Math.sqrt(c.data().shards()));
        Column group = functions.pmod(functions.spark_partition_id(), functions.lit(groups));
        List<Column> level1 = BlockResult.mergeColumns(c.statistics().config(), "r.");
        Dataset<Row> grouped = results.groupBy(group.as("merge_group"))
                .agg(level1.get(0), level1.subList(1, level1.size()).toArray(new Column[0])).drop("merge_group");
        return merge(grouped, c, "");
    }

    /** Parquet reader batch (rows) for rows of {@code rowBytes}: about {@link #READER_BATCH_BYTES}, between 1 and 4096. */
    static int readerBatchRows(long rowBytes) {
        return (int) Math.max(1, Math.min(4096, READER_BATCH_BYTES / Math.max(1, rowBytes)));
    }

    static final long READER_BATCH_BYTES = 8L << 20;

    /** Above this many partitions the statistics partials are merged in two levels. */
    static final int TREE_MERGE_ABOVE = 64;

    private static Dataset<Row> merge(Dataset<Row> rows, BenchCase c, String prefix) {
        List<Column> aggs = BlockResult.mergeColumns(c.statistics().config(), prefix);
        return rows.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]));
    }

    /** Spark wraps executor exceptions; users should see the root cause's message (it names the problem). */
    static RuntimeException unwrap(Exception e) {
        Throwable t = e;
        while ((t instanceof SparkException || t.getCause() instanceof IllegalArgumentException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof IllegalArgumentException iae) return iae;
        if (e instanceof CaseFailure failure) return failure;
        if (e instanceof RuntimeException re) return re;
        return new RuntimeException(e);
    }

    static void deleteRecursively(Path p) {
        try {
            CaseRecords.deleteTree(p);
        } catch (IOException ignored) {
            // best effort: the directory's name already says it is incomplete
        }
    }
}

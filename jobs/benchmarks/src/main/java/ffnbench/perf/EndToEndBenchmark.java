package ffnbench.perf;

import com.fasterxml.jackson.databind.ObjectMapper;
import ffnbench.bench.BenchCase;
import ffnbench.bench.BenchConfig;
import ffnbench.study.IterationResult;
import ffnbench.runtime.LayerCache;
import ffnbench.runtime.StatsRecorder;
import ffnbench.spark.TokenBatches;
import ffnbench.data.TokenGenerator;
import ffnbench.model.StageTimes;
import ffnbench.spark.BenchJob;
import ffnbench.spark.Sessions;
import ffnbench.stats.CaseStats;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark {@code bench} job against the kernel alone on the same work: the same block over the
 * same sequences (read back from the job's Parquet input into memory), on as many threads as the
 * job has task slots, with the same statistics setting. Prints both throughputs, their ratio and
 * where the job's remaining time goes (Parquet decode and conversion, statistics, scheduling). Job
 * iterations and kernel runs alternate, a round of each at a time.
 * {@code scripts/benchmark-e2e [sequences=400] [seq_len=256] [d_model=768] [stats=false] [master=local[2]] [rounds=5]}
 */
public final class EndToEndBenchmark {
    private EndToEndBenchmark() {}

    public static void main(String[] args) throws Exception {
        int sequences = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int seqLen = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int d = args.length > 2 ? Integer.parseInt(args[2]) : 768;
        boolean stats = args.length > 3 && Boolean.parseBoolean(args[3]);
        String master = args.length > 4 ? args[4] : "local[2]";
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 5;
        SparkSession spark = Sessions.getOrCreate("ffnbench e2e benchmark", master);
        int slots = spark.sparkContext().defaultParallelism();
        Path dir = Files.createTempDirectory("ffnbench-e2e");
        String input = dir.resolve("tokens.parquet").toString();
        TokenBatches.writer(TokenBatches.generate(spark, sequences, seqLen, d, TokenGenerator.Distribution.LLM, 7, 2 * slots)).parquet(input);
        // one bench run per round, each a single iteration (the first round's run warms up first)
        BenchConfig warmCfg = config(dir, input, slots, d, stats, 1), cfg = config(dir, input, slots, d, stats, 0);
        BenchCase c = BenchCase.expand(cfg).get(0);
        List<float[]> rows = new ArrayList<>();
        for (Row r : TokenBatches.read(spark, input).select("hidden").collectAsList()) {
            List<Float> h = r.getList(0);
            float[] x = new float[h.size()];
            for (int i = 0; i < x.length; i++) x[i] = h.get(i);
            rows.add(x);
        }
        ffnbench.runtime.LayerStack layers = LayerCache.stack(c);
        ExecutorService pool = Executors.newFixedThreadPool(slots);

        // Rounds of (one job iteration, the kernel alone on the same work), side by side in time, so that the
        // machine's drift falls on both; the first round warms both up and is not counted.
        double[] job = new double[rounds], kernel = new double[rounds], ratio = new double[rounds];
        IterationResult[] iterations = new IterationResult[rounds];
        for (int r = -1; r < rounds; r++) {
            System.gc();   // neither side collects the other's garbage
            BenchJob.Run run = new BenchJob(spark, r < 0 ? warmCfg : cfg, new PrintStream(new ByteArrayOutputStream())).run();
            System.gc();
            double k = kernelSeconds(pool, slots, rows, layers, c, seqLen, d, stats);
            if (r < 0) continue;
            iterations[r] = run.iterations().get(0);
            job[r] = iterations[r].wallNs() / 1e9;
            kernel[r] = k;
            ratio[r] = k / job[r];
        }
        pool.shutdown();
        double jobS = KernelBenchmark.median(job), kernelS = KernelBenchmark.median(kernel), ratioMedian = KernelBenchmark.median(ratio);
        double[] sortedRatios = ratio.clone();
        java.util.Arrays.sort(sortedRatios);
        IterationResult mid = iterations[0];
        for (IterationResult it : iterations) if (Math.abs(it.wallNs() / 1e9 - jobS) < Math.abs(mid.wallNs() / 1e9 - jobS)) mid = it;
        long tokens = (long) sequences * seqLen;
        double function = mid.taskTotalNs() / 1e9, executorRun = mid.executorRunTimeMs() / 1e3;
        double statsS = mid.stage(StageTimes.Stage.STATS) / 1e9, gcS = mid.gcTimeMs() / 1e3;
        System.out.printf(Locale.ROOT, "%,d tokens, d_model %d, d_ff %d (%s), serial block, statistics %s, %s (%d slots), %d rounds%n",
                tokens, d, 4 * d, c.variant(), stats ? "all sites" : "off", master, slots, rounds);
        System.out.printf(Locale.ROOT, "kernel alone   %.2f s  %,.0f tokens/s%n", kernelS, tokens / kernelS);
        System.out.printf(Locale.ROOT, "bench job      %.2f s  %,.0f tokens/s  → %.3f× the kernel (median of each round's ratio; rounds %.3f–%.3f)%n",
                jobS, tokens / jobS, ratioMedian, sortedRatios[0], sortedRatios[rounds - 1]);
        System.out.printf(Locale.ROOT, "job breakdown, median iteration (task time summed over %d slots): layers %.2f s (of which statistics %.2f s), "
                        + "Parquet decode + array conversion + task overhead %.2f s (of which GC %.2f s), driver/scheduling (wall − busy/slots) %.2f s%n",
                slots, function - statsS, statsS, executorRun - function, gcS, mid.wallNs() / 1e9 - executorRun / slots);
        spark.stop();
    }

    private static BenchConfig config(Path dir, String input, int slots, int d, boolean stats, int warmup) throws Exception {
        String json = String.format(Locale.ROOT, """
                {"name": "e2e", "output": "%s", "data": {"input": "%s"}, "shards": %d,
                 "models": [{"name": "gpt2-%d", "source": "preset:gpt2", "set": {"d_model": %d, "heads": %d, "d_ff": %d},
                             "formulations": ["serial"]}],
                 "iterations": {"warmup": %d, "measured": 1}, "stats": {"enabled": %b}}""",
                dir.resolve("runs"), input, 2 * slots, d, d, d / 64, 4 * d, warmup, stats);
        return BenchConfig.parse(new ObjectMapper().readTree(json), Map.of());
    }

    /** The same block over the same sequences in memory, on {@code slots} threads, with the same statistics setting. */
    private static double kernelSeconds(ExecutorService pool, int slots, List<float[]> rows, ffnbench.runtime.LayerStack layers,
                                        BenchCase c, int seqLen, int d, boolean stats) throws Exception {
        long t0 = System.nanoTime();
        List<Future<?>> parts = new ArrayList<>();
        for (int s = 0; s < slots; s++) {
            int slot = s;
            parts.add(pool.submit(() -> {
                CaseStats cs = new CaseStats(c.statistics().config());
                StageTimes times = new StageTimes();
                StatsRecorder rec = new StatsRecorder(cs, stats ? c.statistics().sites() : java.util.Set.of(), d, times);
                ffnbench.model.Workspace ws = ffnbench.model.Workspace.reusing();   // as BlockFunction: one per task thread
                for (int i = slot; i < rows.size(); i += slots) layers.forward(rows.get(i), seqLen, c.formulation(), rec, times, ws);
            }));
        }
        for (Future<?> f : parts) f.get();
        return (System.nanoTime() - t0) / 1e9;
    }
}

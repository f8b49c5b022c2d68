package ffnbench.gpu;

import ai.rapids.cudf.ColumnVector;
import ai.rapids.cudf.ColumnView;
import ai.rapids.cudf.HostColumnVector;
import com.nvidia.spark.RapidsUDF;
import ffnbench.bench.BenchCase;
import ffnbench.model.Site;
import ffnbench.model.TransformerLayer;
import ffnbench.runtime.LayerStack;
import ffnbench.spark.BlockFunction;
import ffnbench.spark.BlockResult;
import ffnbench.stats.CaseStats;
import ffnbench.stats.SiteStats;
import ffnbench.stats.SiteTotals;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bench's block function with a GPU implementation: the same Spark SQL function (a
 * {@code ScalaUDF}; the CPU path is {@link BlockFunction#apply} unchanged) that also implements
 * {@link RapidsUDF}, so the RAPIDS Accelerator calls {@link #evaluateColumnar} with the batch's
 * columns in device memory. The {@code hidden} column is a cuDF {@code LIST<FLOAT32>} whose child
 * buffer is the batch's {@code [tokens × d]} matrix: the layers run on it where it lies, and only
 * the list offsets (one int per row) come to the host, and the statistics' totals go back to it.
 *
 * <p>Result per row, as on the CPU: tokens, skipped (0), FLOPs, stage times, function time and the
 * statistics partial. The GPU path times the whole batch (reported on its first row) and puts the
 * batch's merged statistics in the first row's partial (the other rows carry none): the merge that
 * follows is associative, so the totals are the same, and what crosses to the CPU aggregation is a
 * few kilobytes per batch by construction.
 *
 * <p>Loaded only where the RAPIDS jar is on the classpath ({@code SparkFunctions} picks the class
 * at registration time); its native library is loaded on first use, on an executor with a GPU.
 */
public class GpuBlockFunction extends BlockFunction implements RapidsUDF {
    /** GEMM precision on the GPU: FP32 by default (CPU-identical up to summation order); TF32 or BF16 via conf. */
    private final String precision;

    /** @param precision {@code fp32}, {@code tf32} or {@code bf16} */
    public GpuBlockFunction(BenchCase benchCase, String precision) {
        super(benchCase);
        this.precision = precision;
    }

    /** Device copies of the layers, once per executor JVM (like LayerCache on the CPU). */
    private static final Map<String, GpuLayer[]> LAYERS = new ConcurrentHashMap<>();
    /** Per task thread: device scratch and the input/output ping-pong buffers. */
    private static final ThreadLocal<GpuLayer.Scratch> SCRATCH = ThreadLocal.withInitial(GpuLayer.Scratch::new);

    private GpuLayer[] gpuLayers() {
        BenchCase c = benchCase();
        return LAYERS.computeIfAbsent(c.id() + "/" + precision, k -> {
            TransformerLayer[] cpu = layers().layers();
            GpuLayer[] out = new GpuLayer[cpu.length];
            for (int i = 0; i < cpu.length; i++) out[i] = new GpuLayer(cpu[i], NativeGpu.precisionCode(precision));
            return out;
        });
    }

    /** RAPIDS runs this class as a SQL function on columnar batches. */
    @Override
    public boolean columnar() {
        return true;
    }

    @Override
    public ColumnVector evaluateColumnar(int numRows, ColumnVector... args) {
        long start = System.nanoTime();
        prepareTask();
        BenchCase c = benchCase();
        ColumnVector hidden = args[3];
        int d = c.dModel();
        if (hidden.getNullCount() > 0) throw new IllegalArgumentException("hidden has null rows; every sequence needs its tokens");
        int[] starts = tokenStarts(hidden, numRows, d);
        int tokens = starts[numRows];
        GpuLayer[] layers = gpuLayers();
        GpuLayer.Scratch scratch = SCRATCH.get();
        long[] io = {0, 0};
        // every device resource is released on every path, a refused batch included
        try (DeviceSites sites = new DeviceSites(c); ColumnView values = hidden.getChildColumnView(0)) {
            sites.layer = c.layers().get(0);
            long x = values.getData().getAddress();
            if (c.statistics().sites().contains("input") && c.statistics().enabled()) sites.recordInput(x, tokens, d);
            long nonFinite = sites.inputNonFinite();   // one small read of the device accumulators
            if (nonFinite > 0) {
                throw new IllegalArgumentException("the batch contains " + nonFinite + " NaN/Inf values; the GPU "
                        + "path does not skip sequences (on_nonfinite): clean the input or run this case on the CPU path");
            }
            for (int i = 0; i < layers.length; i++) {
                if (io[i % 2] == 0) io[i % 2] = NativeGpu.alloc(4L * tokens * d);
                long y = io[i % 2];
                sites.layer = c.layers().get(i);
                if (i > 0 && c.statistics().sites().contains("input") && c.statistics().enabled()) sites.recordInput(x, tokens, d);
                layers[i].forward(x, y, starts, c.formulation(), sites, scratch);
                x = y;
            }
            NativeGpu.synchronize();
            byte[] partial = c.statistics().enabled() ? sites.toCaseStats().toBytes() : null;
            return result(c, starts, partial, System.nanoTime() - start);
        } finally {
            for (long p : io) if (p != 0) NativeGpu.free(p);
        }
    }

    /** Token offset of each sequence in the child buffer (element offsets / d), with the ragged-row check. */
    private static int[] tokenStarts(ColumnVector hidden, int rows, int d) {
        int[] starts = new int[rows + 1];
        try (ColumnView offsetsView = hidden.getListOffsetsView(); HostColumnVector offsets = offsetsView.copyToHost()) {
            for (int i = 0; i <= rows; i++) {
                int e = offsets.getInt(i);
                if (e % d != 0) {
                    throw new IllegalArgumentException("row " + (i - 1) + " is ragged: its values do not form whole tokens of d_model " + d);
                }
                starts[i] = e / d;
            }
        }
        return starts;
    }

    /**
     * The batch's {@link BlockResult} rows as one struct column, its fields built by name in the
     * schema's order: per row its tokens and FLOPs, no skipped sequences and no per-stage times (the
     * GPU path measures the whole function), the batch's time and statistics on row 0.
     */
    private ColumnVector result(BenchCase c, int[] starts, byte[] partial, long totalNs) {
        int rows = starts.length - 1;
        LayerStack cpu = layers();
        long[] tokens = new long[rows], flops = new long[rows], zeros = new long[rows], total = new long[rows];
        for (int r = 0; r < rows; r++) {
            int len = starts[r + 1] - starts[r];
            tokens[r] = len;
            flops[r] = cpu.flops(c.formulation(), len);
        }
        if (rows > 0) total[0] = totalNs;
        List<ColumnVector> children = new ArrayList<>();
        try {
            for (String field : BlockResult.SCHEMA.fieldNames()) {
                children.add(switch (field) {
                    case "tokens" -> ColumnVector.fromLongs(tokens);
                    case "flops" -> ColumnVector.fromLongs(flops);
                    case "total_ns" -> ColumnVector.fromLongs(total);
                    case BlockResult.PARTIALS -> binaryColumn(partial, rows);
                    default -> ColumnVector.fromLongs(zeros);   // skipped and the per-stage times
                });
            }
            return ColumnVector.makeStruct(rows, children.toArray(new ColumnView[0]));
        } finally {
            for (ColumnVector v : children) v.close();
        }
    }

    /**
     * Spark's BINARY on the GPU is LIST&lt;UINT8&gt;: the batch's statistics partial as row 0's bytes, the
     * other rows empty (an empty partial merges as nothing). Built from one byte column and offsets,
     * without boxing.
     */
    private static ColumnVector binaryColumn(byte[] first, int rows) {
        byte[] bytes = first == null ? new byte[0] : first;
        int[] offsets = new int[rows + 1];
        for (int i = 1; i <= rows; i++) offsets[i] = bytes.length;
        try (ColumnVector child = ColumnVector.fromUnsignedBytes(bytes); ColumnVector offs = ColumnVector.fromInts(offsets)) {
            return child.makeListFromOffsets(rows, offs);
        }
    }

    /** The sites of one batch: a device accumulator per (layer, site), read back once at the end. */
    private static final class DeviceSites implements GpuLayer.Sites, AutoCloseable {
        private final BenchCase c;
        private final Map<String, long[]> handles = new LinkedHashMap<>();   // key → {handle, width, tokens}
        int layer;

        DeviceSites(BenchCase c) {
            this.c = c;
        }

        @Override
        public boolean wants(Site site) {
            return c.statistics().enabled() && c.statistics().sites().contains(site.id());
        }

        @Override
        public void record(Site site, long data, int rows, int width, int ld) {
            add(CaseStats.key(layer, site.id()), data, rows, width, ld);
        }

        void recordInput(long x, int tokens, int d) {
            add(CaseStats.key(layer, "input"), x, tokens, d, d);
        }

        /** NaN + Inf values counted so far at the first layer's input (one small read of the accumulators). */
        long inputNonFinite() {
            long[] h = handles.get(CaseStats.key(c.layers().get(0), "input"));
            if (h == null) return 0;
            int width = (int) h[1];
            long[] counts = new long[5];
            NativeGpu.statsRead(h[0], new double[5], new float[3], counts, new long[width], new long[width], new float[width],
                    new double[width], new long[c.statistics().config().histogramBins() + 2]);
            return counts[3] + counts[4];
        }

        private void add(String key, long data, int rows, int width, int ld) {
            long[] h = handles.computeIfAbsent(key, k -> new long[] {NativeGpu.statsAlloc(width, c.statistics().config().histogramBins()), width, 0});
            NativeGpu.statsAdd(h[0], data, ld, rows, (float) c.statistics().config().nearZeroEps(), (float) c.statistics().config().outlierThreshold(),
                    (float) c.statistics().config().histogramRange());
            h[2] += rows;
        }

        CaseStats toCaseStats() {
            CaseStats out = new CaseStats(c.statistics().config());
            handles.forEach((key, h) -> {
                int width = (int) h[1];
                double[] m = new double[5];
                float[] ext = new float[3];
                long[] counts = new long[5], firing = new long[width], over = new long[width];
                float[] chMax = new float[width];
                double[] chSq = new double[width];
                long[] hist = new long[c.statistics().config().histogramBins() + 2];
                NativeGpu.statsRead(h[0], m, ext, counts, firing, over, chMax, chSq, hist);
                SiteStats s = SiteStats.fromTotals(c.statistics().config(), new SiteTotals(width, h[2], (long) m[0], m[1], m[2], m[3], m[4],
                        ext[0], ext[1], ext[2], counts[0], counts[1], counts[2], counts[3], counts[4], hist, firing, over, chMax, chSq));
                out.site(key, width, false).merge(s);
            });
            return out;
        }

        @Override
        public void close() {
            for (long[] h : handles.values()) NativeGpu.statsFree(h[0]);
        }
    }

    @Override
    public String toString() {
        return "GpuBlockFunction(" + benchCase().id() + ", precision " + precision + ")";
    }
}

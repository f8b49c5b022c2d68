package ffnbench.runtime;

import ffnbench.model.FeedForward;
import ffnbench.model.Formulation;
import ffnbench.model.MoeFfn;
import ffnbench.model.Router;
import ffnbench.model.Site;
import ffnbench.model.SiteRecorder;
import ffnbench.model.StageTimes;
import ffnbench.model.TransformerLayer;
import ffnbench.model.Workspace;
import ffnbench.stats.CaseStats;
import java.util.ArrayList;
import java.util.List;

/**
 * A stack of mixture-of-experts layers cut at each MLP, the three steps of expert parallelism, in
 * pure math (the Spark plan around them is {@code ExpertParallelQuery}). For layer i:
 * <pre>
 * dispatch  x → the block up to its MLP, the router and the shared expert, per sequence:
 *           a {@link Pending} state and one {@link Assignment} per kept (token, expert) carrying the MLP input row
 * experts   one expert over all the assignments it received, from many sequences: one GEMM per projection
 * combine   the state and its assignments' outputs → y_t = Σ_e w_{t,e}·out_{t,e} + shared_t → the rest of the block
 * </pre>
 * Each step computes what {@link TransformerLayer#forward} does for the same tokens, operation for
 * operation, except that an expert's GEMM batches other tokens: its results can differ in the last bits.
 */
public final class ExpertParallelStages {
    private ExpertParallelStages() {}

    /**
     * A sequence waiting for its experts at layer {@code layer} (the index in the stack): what
     * {@link TransformerLayer#afterMlp} needs, and the shared expert's output (or null).
     */
    public record Pending(long seqId, int seqLen, int layer, float[] residual, float[] attention, float[] shared) { }

    /**
     * One token's trip to one of its experts: {@code vector} is the MLP input row on the way out and
     * the expert's output on the way back. {@code rank} is the choice's place in the token's top-k.
     */
    public record Assignment(long seqId, int token, int rank, int expert, float weight, float[] vector) { }

    /** What dispatching one sequence produced. */
    public record Dispatch(Pending pending, List<Assignment> assignments) { }

    /**
     * Layer {@code layer} of {@code stack} over {@code x [tokens × d]} up to its experts: the block's
     * first half and its sites, the router and its sites, the shared expert. The recorder's layer is
     * set here; the input site is recorded as {@link LayerStack#forward} does.
     */
    public static Dispatch dispatch(LayerStack stack, int layer, long seqId, float[] x, int tokens, Formulation formulation,
                                    StatsRecorder recorder, StageTimes times) {
        TransformerLayer l = stack.layers()[layer];
        MoeFfn moe = requireMoe(l, stack.ids().get(layer));
        int d = l.config().dModel();
        recorder.layer(stack.ids().get(layer));
        recorder.recordInput(x, tokens);
        TransformerLayer.BeforeMlp b = l.beforeMlp(x, tokens, formulation, recorder, times, Workspace.fresh());
        float[] in = b.mlpInput();
        if (recorder.wants(Site.FFN_IN)) recorder.record(Site.FFN_IN, in, 0, tokens, d, d);
        Router.Routing routing = moe.route(in, tokens, times);
        l.recordRouting(routing, tokens, recorder);
        float[] shared = moe.sharedOutput(in, tokens, times);
        int k = routing.k();
        List<Assignment> out = new ArrayList<>();
        for (int i = 0; i < tokens * k; i++) {
            if (!routing.kept()[i]) continue;
            int t = i / k;
            out.add(new Assignment(seqId, t, i % k, routing.expert()[i], routing.weight()[i],
                    java.util.Arrays.copyOfRange(in, t * d, (t + 1) * d)));
        }
        return new Dispatch(new Pending(seqId, tokens, layer, b.residual(), b.attention(), shared), out);
    }

    /**
     * Expert {@code expert} of layer {@code layer} over {@code batch} (its assignments, grouped by
     * sequence, each sequence's in token then rank order): one GEMM per projection over all of them.
     * Returns the assignments with their outputs. The expert's sites are recorded per sequence, as the
     * data-parallel layer records them, so each sequence's statistics are taken over the same rows.
     */
    public static List<Assignment> runExpert(LayerStack stack, int layer, int expert, List<Assignment> batch,
                                             StatsRecorder recorder, CaseStats stats, StageTimes times) {
        TransformerLayer l = stack.layers()[layer];
        FeedForward ffn = requireMoe(l, stack.ids().get(layer)).expert(expert);
        int d = l.config().dModel(), n = batch.size();
        recorder.layer(stack.ids().get(layer));
        long started = times.now();
        float[] gathered = new float[n * d];
        for (int j = 0; j < n; j++) System.arraycopy(batch.get(j).vector(), 0, gathered, j * d, d);
        float[] out = ffn.forward(gathered, n, perSequence(batch, recorder.forExpert(expert), stats));
        times.lap(StageTimes.Stage.FFN_GEMM, started);
        List<Assignment> done = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            Assignment a = batch.get(j);
            done.add(new Assignment(a.seqId(), a.token(), a.rank(), a.expert(), a.weight(),
                    java.util.Arrays.copyOfRange(out, j * d, (j + 1) * d)));
        }
        return done;
    }

    /**
     * The rest of the layer once its experts' outputs are back: {@code outputs} are the sequence's
     * assignments in token, then expert order. Records {@code ffn_out} and the block's remaining sites,
     * and returns the layer's output {@code y [tokens × d]}.
     */
    public static float[] combine(LayerStack stack, Pending p, List<Assignment> outputs, Formulation formulation,
                                  StatsRecorder recorder, StageTimes times) {
        TransformerLayer l = stack.layers()[p.layer()];
        int d = l.config().dModel(), tokens = p.seqLen();
        recorder.layer(stack.ids().get(p.layer()));
        long started = times.now();
        float[] y = new float[tokens * d];
        for (Assignment a : outputs) MoeFfn.addWeighted(y, a.token() * d, a.weight(), a.vector(), 0, d);
        if (p.shared() != null) for (int i = 0; i < y.length; i++) y[i] += p.shared()[i];
        times.lap(StageTimes.Stage.COMBINE, started);
        if (recorder.wants(Site.FFN_OUT)) recorder.record(Site.FFN_OUT, y, 0, tokens, d, d);
        TransformerLayer.BeforeMlp b = new TransformerLayer.BeforeMlp(null, p.attention(), p.residual());
        float[] out = l.afterMlp(b, y, tokens, formulation, recorder, times, Workspace.fresh());
        if (recorder.wants(Site.BLOCK_OUT)) recorder.record(Site.BLOCK_OUT, out, 0, tokens, d, d);
        return out;
    }

    /**
     * A recorder that records each sequence's rows of an expert's batch as a block of their own,
     * after {@link CaseStats#startSequence}: the rows one data-parallel call would have recorded.
     */
    private static SiteRecorder perSequence(List<Assignment> batch, SiteRecorder expertSites, CaseStats stats) {
        return new SiteRecorder() {
            @Override
            public boolean wants(Site site) {
                return expertSites.wants(site);
            }

            @Override
            public void record(Site site, float[] data, int offset, int rows, int cols, int rowStride) {
                for (int from = 0; from < rows; ) {
                    int to = from + 1;
                    while (to < rows && batch.get(to).seqId() == batch.get(from).seqId()) to++;
                    stats.startSequence();
                    expertSites.record(site, data, offset + from * rowStride, to - from, cols, rowStride);
                    from = to;
                }
            }
        };
    }

    private static MoeFfn requireMoe(TransformerLayer l, int id) {
        if (l.moe() == null) {
            throw new IllegalArgumentException("layer " + id + " has a dense FFN: expert parallelism runs mixture-of-experts layers");
        }
        return l.moe();
    }
}

package ffnbench.cli;

import ffnbench.analysis.ScalingModel;
import ffnbench.analysis.ScalingStudy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scaling}: calibrate the scaling model on one run, validate it on others, predict bigger clusters. */
@Command(name = "scaling", mixinStandardHelpOptions = true,
        description = {"Scaling model (docs/SCALING.md): calibrate per-case costs on one run directory, compare its",
            "predictions with other runs of the same cases, and predict tokens/s for larger clusters with the",
            "term that bounds them (compute, input bandwidth, statistics merge, weight loading, job overhead)."})
public final class ScalingCommand implements Callable<Integer> {
    @Option(names = "--calibrate", required = true, paramLabel = "RUN_DIR", description = "Run to calibrate on (e.g. a local[1] run).")
    Path calibrate;

    @Option(names = "--efficiency-from", paramLabel = "RUN_DIR",
            description = "Optional run of the same cases with more slots on one host (e.g. local[2]): fits the slot efficiency η.")
    Path efficiencyFrom;

    @Option(names = "--validate", split = ",", paramLabel = "RUN_DIR", description = "Runs of the same cases to check predictions against.")
    List<Path> validate = new ArrayList<>();

    @Option(names = "--predict", split = ",", defaultValue = "2x1,10x4,100x4,1000x4", paramLabel = "NxC",
            description = "Cluster shapes, executors x cores (default: ${DEFAULT-VALUE}).")
    List<String> predict;

    @Option(names = "--tokens", defaultValue = "100000000", description = "Tokens for the predictions (default: ${DEFAULT-VALUE}).")
    long tokens;

    @Option(names = "--partitions-per-core", defaultValue = "4", description = "Partitions per core for the predictions (default: ${DEFAULT-VALUE}).")
    int partitionsPerCore;

    @Option(names = "--storage-gbps", defaultValue = "10", description = "Assumed aggregate storage bandwidth, GB/s (default: ${DEFAULT-VALUE}).")
    double storageGbps;

    @Option(names = "--network-gbps", defaultValue = "1", description = "Assumed network bandwidth per link, GB/s (default: ${DEFAULT-VALUE}).")
    double networkGbps;

    @Option(names = "--output", description = "Also write the Markdown to this file.")
    Path output;

    @Override
    public Integer call() throws Exception {
        List<int[]> clusters = new ArrayList<>();
        for (String s : predict) {
            String[] nc = s.trim().toLowerCase().split("x");
            try {
                clusters.add(new int[] {Integer.parseInt(nc[0]), Integer.parseInt(nc[1])});
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--predict: '" + s + "' is not EXECUTORSxCORES, e.g. 100x4");
            }
        }
        ScalingModel.Assumptions a = new ScalingModel.Assumptions(storageGbps * 1e9, networkGbps * 1e9);
        ScalingStudy.Run cal = ScalingStudy.read(calibrate);
        List<ScalingStudy.Run> others = new ArrayList<>();
        for (Path p : validate) others.add(ScalingStudy.read(p));
        ScalingStudy.Run multi = efficiencyFrom == null ? null : ScalingStudy.read(efficiencyFrom);
        var calibrations = ScalingStudy.calibrations(cal, multi);
        String md = ScalingStudy.markdown(cal, multi, calibrations, ScalingStudy.validate(calibrations, others, a), a, clusters,
                tokens, partitionsPerCore);
        System.out.println(md);
        if (output != null) Files.writeString(output, md);
        return 0;
    }
}

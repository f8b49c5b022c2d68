package ffnbench.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a command may write, checked before any work: a new output, or, with {@code --overwrite},
 * one it replaces. Nothing already written is replaced by surprise.
 */
final class Outputs {
    private Outputs() {}

    /** {@code file} must not exist unless {@code overwrite}. */
    static void requireNew(Path file, boolean overwrite) {
        if (!overwrite && Files.exists(file)) {
            throw new IllegalArgumentException(file + " exists: remove it, choose another --output, or pass --overwrite");
        }
    }

    /** None of {@code names} may exist in {@code dir} unless {@code overwrite}. */
    static void requireNewIn(Path dir, boolean overwrite, String... names) {
        for (String name : names) requireNew(dir.resolve(name), overwrite);
    }

    /**
     * A Parquet output directory (a local path or a URI) must not exist: token batches are never
     * overwritten. Only local paths are checked here; Spark refuses an existing remote one.
     */
    static void requireNewParquet(String output) {
        Path path = output.startsWith("file:") ? Path.of(java.net.URI.create(output))
                : output.contains("://") ? null : Path.of(output);
        if (path != null && Files.exists(path)) {
            throw new IllegalArgumentException(output + " exists: remove it or choose another --output (token batches are never overwritten)");
        }
    }
}

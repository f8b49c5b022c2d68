package ffnbench.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.SparkSession;

/**
 * What identifies a run's input data, so {@code compare} can tell whether two runs read the same tokens:
 * its path, its shape, its size in bytes and a content fingerprint. The fingerprint is the SHA-256 of
 * each data file's size and Parquet footer, in the order of the files' names (the last
 * {@value #FOOTER_BYTES} bytes, which hold every row group's and column chunk's offsets, sizes and
 * value statistics): cheap on any file system, and different whenever the data was written differently.
 * File names are left out: Spark names its part files with a random id, so the same data written twice
 * gets the same fingerprint.
 */
final class InputIdentity {
    static final int FOOTER_BYTES = 64 * 1024;

    private InputIdentity() {}

    /** {@code summary.json}'s {@code inputs}: each input by its final path, with shape, size, fingerprint and path in the run. */
    static Map<String, Object> describe(SparkSession spark, Map<String, TokenBatches.Shape> inputs, Path dir, Path finalDir) {
        Map<String, Object> out = new LinkedHashMap<>();
        inputs.forEach((path, shape) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sequences", shape.sequences());
            m.put("tokens", shape.tokens());
            m.put("d_model", shape.dModel());
            m.put("min_seq_len", shape.minSeqLen());
            m.put("max_seq_len", shape.maxSeqLen());
            Fingerprint f = fingerprint(spark, path);
            m.put("bytes", f.bytes());
            m.put("files", f.files());
            m.put("fingerprint", f.sha256());
            Path p = Path.of(path);
            if (p.isAbsolute() && p.startsWith(dir)) m.put("path_in_run", dir.relativize(p).toString());
            out.put(named(path, dir, finalDir), m);
        });
        return out;
    }

    /** An input's path as it will be once the run's working directory {@code dir} is renamed to {@code finalDir}. */
    static String named(String path, Path dir, Path finalDir) {
        Path p = Path.of(path);
        return p.isAbsolute() && p.startsWith(dir) ? finalDir.resolve(dir.relativize(p)).toString() : path;
    }

    record Fingerprint(long bytes, int files, String sha256) { }

    /** The dataset's data files (names not starting with {@code _} or {@code .}), in name order, hashed as described above. */
    static Fingerprint fingerprint(SparkSession spark, String path) {
        try {
            org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(path);
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            List<FileStatus> files = new ArrayList<>();
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
            while (it.hasNext()) {
                LocatedFileStatus s = it.next();
                String name = s.getPath().getName();
                if (!name.startsWith("_") && !name.startsWith(".")) files.add(s);
            }
            files.sort(java.util.Comparator.comparing(s -> s.getPath().toUri().getPath()));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long bytes = 0;
            for (FileStatus s : files) {
                sha.update(java.nio.ByteBuffer.allocate(8).putLong(s.getLen()).array());
                int tail = (int) Math.min(FOOTER_BYTES, s.getLen());
                byte[] footer = new byte[tail];
                try (FSDataInputStream in = fs.open(s.getPath())) {
                    in.readFully(s.getLen() - tail, footer);
                }
                sha.update(footer);
                bytes += s.getLen();
            }
            return new Fingerprint(bytes, files.size(), HexFormat.of().formatHex(sha.digest()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the input " + path + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

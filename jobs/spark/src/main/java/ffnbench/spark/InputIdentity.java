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
 * each data file's size and of three {@value #WINDOW_BYTES}-byte windows of its data pages (the start,
 * the middle and the end of what precedes the Parquet footer), in the order of the files' names: cheap
 * on any file system, and different whenever the values differ in any of those pages. The footer and
 * the file names are left out: Spark names part files with a random id, and parquet-mr writes a column
 * chunk's encodings in an order that changes from JVM to JVM, so the same data written twice would
 * otherwise get two fingerprints.
 */
final class InputIdentity {
    static final int WINDOW_BYTES = 16 * 1024;

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

    /** Where a Parquet file's footer starts (its length is stored before the closing "PAR1"); the file's length if it has none. */
    private static long dataEnd(FSDataInputStream in, long length) throws IOException {
        if (length < 12) return length;
        byte[] tail = new byte[8];
        in.readFully(length - 8, tail);
        boolean parquet = tail[4] == 'P' && tail[5] == 'A' && tail[6] == 'R' && tail[7] == '1';
        long footer = (tail[0] & 0xffL) | (tail[1] & 0xffL) << 8 | (tail[2] & 0xffL) << 16 | (tail[3] & 0xffL) << 24;
        return parquet && footer < length - 8 ? length - 8 - footer : length;
    }

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
                try (FSDataInputStream in = fs.open(s.getPath())) {
                    long dataEnd = dataEnd(in, s.getLen());
                    for (long start : new long[] {0, dataEnd / 2 - WINDOW_BYTES / 2, dataEnd - WINDOW_BYTES}) {
                        long from = Math.max(0, start), to = Math.min(dataEnd, from + WINDOW_BYTES);
                        byte[] window = new byte[(int) Math.max(0, to - from)];
                        in.readFully(from, window);
                        sha.update(window);
                    }
                }
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

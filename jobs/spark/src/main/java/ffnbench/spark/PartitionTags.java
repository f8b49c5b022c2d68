package ffnbench.spark;

import org.apache.spark.unsafe.hash.Murmur3_x86_32;

/**
 * Integer tags that Spark's {@code repartition(n, col)} sends to chosen partitions: {@code tags[p]}
 * lands in partition p. Spark hash-partitions an INT column by {@code pmod(murmur3(value, 42), n)}
 * (its {@code HashPartitioning}); each tag is the smallest value ≥ 0 that hashes to its partition.
 * The expert-parallel plan tags records with them, so expert e's tokens meet in partition
 * e mod n and no partition gets two experts' tokens by a hash collision.
 */
final class PartitionTags {
    private PartitionTags() {}

    private static final int SPARK_HASH_SEED = 42;

    static int[] forPartitions(int n) {
        int[] tags = new int[n];
        java.util.Arrays.fill(tags, -1);
        int found = 0;
        for (int v = 0; found < n; v++) {
            int p = partitionOf(v, n);
            if (tags[p] < 0) {
                tags[p] = v;
                found++;
            }
        }
        return tags;
    }

    /** The partition of {@code n} that Spark's hash partitioning gives the INT value {@code v}. */
    static int partitionOf(int v, int n) {
        return Math.floorMod(Murmur3_x86_32.hashInt(v, SPARK_HASH_SEED), n);
    }
}

# Sourced by the scripts: the Java command, the Java 17 flags Spark needs (kept once, in pom.xml), the
# build when sources changed, and for scripts/cluster and scripts/submit a Spark installation made of
# the Maven-resolved Spark jars, so neither needs a Spark distribution.
#   JAVA17_FLAGS      the --add-opens flags Spark needs on Java 17
#   GC_FLAGS          the collector for ffnbench's JVMs (local mode and executors): $FFNBENCH_GC, default
#                     ParallelGC (G1 treats megabyte-sized per-row arrays as humongous and waits on BLAS's
#                     JNI critical sections: 15–20% of local[2] throughput, docs/PERFORMANCE.md)
#   JIT_FLAGS         $FFNBENCH_JIT, default -XX:Tier3DelayOn=100000: never compile a method at tier 2 (C1 without profiling) when the
#                     C2 queue is long. On 2 cores that happened often at start-up, and C2 then compiled some
#                     Vector API kernels from profiles without receiver types, with boxed vectors: 2–3×
#                     slower for the whole run (the statistics' median selection: 11 of 91 JVMs without
#                     the flag, 2 of 82 with it; docs/PERFORMANCE.md). Costs a little warm-up profiling.
#   build_if_stale    `mvn package` when the jars are missing or older than the sources (writes the
#                     module jars, target/ffnbench-<version>-app.jar and the classpath files in target/)
#   FFNBENCH_CP       ffnbench's classpath for local runs (the Spark module's jar and everything it runs with)
#   BENCHMARKS_CP     the same with the benchmark programs (jobs/benchmarks) in front
#   spark_env_build   build_if_stale, then SPARK_JARS_CP (Spark's own jars, Maven 'provided' scope) and
#                     LOCAL_SPARK_HOME (a SPARK_HOME whose jars/ links them: what Workers launch executors from)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APP_JAR="$ROOT/target/ffnbench-0.1.0-SNAPSHOT-app.jar"
SPARK_MODULE_JAR="$ROOT/jobs/spark/target/ffnbench-spark-0.1.0-SNAPSHOT.jar"
BENCHMARKS_JAR="$ROOT/jobs/benchmarks/target/ffnbench-benchmarks-0.1.0-SNAPSHOT.jar"
SPARK_CP_FILE="$ROOT/target/spark-classpath.txt"
CLUSTER_DIR="${FFNBENCH_CLUSTER_DIR:-$ROOT/target/cluster}"
LOCAL_SPARK_HOME="$CLUSTER_DIR/spark-home"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVA17_FLAGS=$(sed -n 's:.*<spark.java17.flags>\(.*\)</spark.java17.flags>.*:\1:p' "$ROOT/pom.xml")
GC_FLAGS="${FFNBENCH_GC:--XX:+UseParallelGC}"
JIT_FLAGS="${FFNBENCH_JIT--XX:Tier3DelayOn=100000}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
export SPARK_SCALA_VERSION=2.12

build_if_stale() {
  if [[ ! -f "$APP_JAR" || ! -f "$SPARK_CP_FILE" || ! -f "$ROOT/target/classpath.txt" || ! -f "$BENCHMARKS_JAR" \
        || -n "$(find "$ROOT/pom.xml" "$ROOT"/jobs/*/pom.xml "$ROOT"/jobs/*/src/main -newer "$APP_JAR" -print -quit 2>/dev/null)" ]]; then
    echo "ffnbench: building (first run, or sources changed) ..." >&2
    (cd "$ROOT" && mvn -q -B -DskipTests package >&2)
  fi
  FFNBENCH_CP="$SPARK_MODULE_JAR:$(cat "$ROOT/target/classpath.txt")"
  BENCHMARKS_CP="$BENCHMARKS_JAR:$(cat "$ROOT/target/benchmarks-classpath.txt")"
}

spark_env_build() {
  build_if_stale
  SPARK_JARS_CP=$(cat "$SPARK_CP_FILE")
  if [[ ! -d "$LOCAL_SPARK_HOME/jars" || "$SPARK_CP_FILE" -nt "$LOCAL_SPARK_HOME/jars" || "$ROOT/conf/log4j2-cluster.properties" -nt "$LOCAL_SPARK_HOME/conf/log4j2.properties" ]]; then
    rm -rf "$LOCAL_SPARK_HOME"
    mkdir -p "$LOCAL_SPARK_HOME/jars" "$LOCAL_SPARK_HOME/conf"
    tr ':' '\n' <<< "$SPARK_JARS_CP" | while read -r jar; do ln -sf "$jar" "$LOCAL_SPARK_HOME/jars/"; done
    cp "$ROOT/conf/log4j2-cluster.properties" "$LOCAL_SPARK_HOME/conf/log4j2.properties"
  fi
}

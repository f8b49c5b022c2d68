# Sourced by the scripts: the Spark line, the Java command, the flags Spark needs (kept once, in pom.xml),
# the build when sources changed, and for scripts/cluster and scripts/submit a Spark installation made of
# the Maven-resolved Spark jars, so neither needs a Spark distribution.
#   FFNBENCH_SPARK    the Spark line to build and run: 3.5 (Scala 2.12, the default) or 4 (Scala 2.13); each
#                     has its own build (Maven profile spark-3.5 or spark-4) under target/spark3.5_2.12/ or
#                     target/spark4_2.13/, and its own application jar
#   JAVA_FLAGS        the --add-opens flags Spark needs on Java 17 to 25
#   GC_FLAGS          the collector for ffnbench's JVMs (local mode and executors): $FFNBENCH_GC, default
#                     ParallelGC (G1 treats megabyte-sized per-row arrays as humongous and waits on BLAS's
#                     JNI critical sections: 15–20% of local[2] throughput, docs/PERFORMANCE.md)
#   JIT_FLAGS         $FFNBENCH_JIT, default -XX:Tier3DelayOn=100000: never compile a method at tier 2 (C1 without profiling) when the
#                     C2 queue is long. On 2 cores that happened often at start-up, and C2 then compiled some
#                     Vector API kernels from profiles without receiver types, with boxed vectors: 2–3×
#                     slower for the whole run (the statistics' median selection: 11 of 91 JVMs without
#                     the flag, 2 of 82 with it; docs/PERFORMANCE.md). Costs a little warm-up profiling.
#   build_if_stale    `mvn -P<line> package` when the jars are missing or older than the sources (writes the
#                     module jars, target/ffnbench-<line>-<version>-app.jar and the classpath files)
#   FFNBENCH_CP       ffnbench's classpath for local runs (the Spark module's jar and everything it runs with)
#   BENCHMARKS_CP     the same with the benchmark programs (jobs/benchmarks) in front
#   spark_env_build   build_if_stale, then SPARK_JARS_CP (Spark's own jars, Maven 'provided' scope) and
#                     LOCAL_SPARK_HOME (a SPARK_HOME whose jars/ links them: what Workers launch executors from)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${FFNBENCH_SPARK:=3.5}" in
  3.5) SPARK_BUILD=spark3.5_2.12 SPARK_PROFILE=spark-3.5 SPARK_SCALA_VERSION=2.12 ;;
  4)   SPARK_BUILD=spark4_2.13 SPARK_PROFILE=spark-4 SPARK_SCALA_VERSION=2.13 ;;
  *)   echo "ffnbench: FFNBENCH_SPARK must be 3.5 or 4 (the Spark line to build and run), got '$FFNBENCH_SPARK'" >&2; exit 2 ;;
esac
export FFNBENCH_SPARK SPARK_SCALA_VERSION
VERSION=0.1.0-SNAPSHOT
BUILD_DIR="$ROOT/target/$SPARK_BUILD"
APP_JAR="$ROOT/target/ffnbench-$SPARK_BUILD-$VERSION-app.jar"
SPARK_MODULE_JAR="$ROOT/jobs/spark/target/$SPARK_BUILD/ffnbench-spark-$VERSION.jar"
BENCHMARKS_JAR="$ROOT/jobs/benchmarks/target/$SPARK_BUILD/ffnbench-benchmarks-$VERSION.jar"
SPARK_CP_FILE="$BUILD_DIR/spark-classpath.txt"
CLUSTER_DIR="${FFNBENCH_CLUSTER_DIR:-$BUILD_DIR/cluster}"
LOCAL_SPARK_HOME="$CLUSTER_DIR/spark-home"
AUTH_CONF="$CLUSTER_DIR/auth.conf"   # the RPC secret of a cluster scripts/cluster started (mode 0600)
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVA_FLAGS=$(sed -n 's:.*<spark.java.flags>\(.*\)</spark.java.flags>.*:\1:p' "$ROOT/pom.xml")
# Spark 3.5 does not start on Java 23+ (Hadoop's UserGroupInformation calls Subject.getSubject, which they refuse)
JAVA_MAJOR=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
if [[ "$FFNBENCH_SPARK" == 3.5 && "${JAVA_MAJOR:-17}" -gt 21 ]]; then
  echo "ffnbench: Spark 3.5 does not run on Java $JAVA_MAJOR ($JAVA); use FFNBENCH_SPARK=4, or a Java 17 JAVA_HOME" >&2
  exit 2
fi
GC_FLAGS="${FFNBENCH_GC:--XX:+UseParallelGC}"
JIT_FLAGS="${FFNBENCH_JIT--XX:Tier3DelayOn=100000}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

build_if_stale() {
  if [[ ! -f "$APP_JAR" || ! -f "$SPARK_CP_FILE" || ! -f "$BUILD_DIR/classpath.txt" || ! -f "$BENCHMARKS_JAR" \
        || -n "$(find "$ROOT/pom.xml" "$ROOT"/jobs/*/pom.xml "$ROOT"/jobs/*/src/main -newer "$APP_JAR" -print -quit 2>/dev/null)" ]]; then
    echo "ffnbench: building for Spark $FFNBENCH_SPARK (first run, or sources changed) ..." >&2
    (cd "$ROOT" && mvn -q -B -DskipTests -P"$SPARK_PROFILE" package >&2)
  fi
  FFNBENCH_CP="$SPARK_MODULE_JAR:$(cat "$BUILD_DIR/classpath.txt")"
  BENCHMARKS_CP="$BENCHMARKS_JAR:$(cat "$BUILD_DIR/benchmarks-classpath.txt")"
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

// Databricks notebook source
// MAGIC %md
// MAGIC # ffnbench quick start: serial vs parallel transformer blocks
// MAGIC
// MAGIC Attach the ffnbench application jar for the cluster's Spark line (`target/ffnbench-spark4_2.13-0.1.0-SNAPSHOT-app.jar`
// MAGIC on Spark 4, `…spark3.5_2.12…` on Spark 3.5; see `notebooks/README.md`).
// MAGIC This notebook generates seeded token batches, runs a LLaMA-shaped layer (SwiGLU and GELU FFNs) in the serial
// MAGIC and the parallel formulation, and shows the headline tables. Results land in a run directory.

// COMMAND ----------

dbutils.widgets.text("sequences", "16", "Sequences")
dbutils.widgets.text("seq_len", "64", "Tokens per sequence")
dbutils.widgets.text("d_model", "256", "d_model")
dbutils.widgets.text("output", "/tmp/ffnbench-notebooks", "Run directory root")

def intWidget(name: String, min: Int, max: Int): Int = {
  val v = dbutils.widgets.get(name)
  val n = scala.util.Try(v.trim.toInt).getOrElse(throw new IllegalArgumentException(s"widget $name: '$v' is not an integer"))
  require(n >= min && n <= max, s"widget $name must be in $min..$max, got $n")
  n
}
val sequences = intWidget("sequences", 1, 1000000)
val seqLen = intWidget("seq_len", 1, 8192)
val dModel = intWidget("d_model", 64, 16384)
require(dModel % 64 == 0, s"widget d_model must be a multiple of 64 (head size 64), got $dModel")

// COMMAND ----------

// MAGIC %md The whole study is one bench config (the same JSON as `conf/*.json`; fields in `conf/README.md`).

// COMMAND ----------

val configJson = s"""{
  "name": "quickstart", "output": "${dbutils.widgets.get("output")}",
  "data": {"sequences": $sequences, "seq_len": $seqLen, "distribution": "llm", "seed": 7},
  "shards": ${spark.sparkContext.defaultParallelism},
  "models": [{"name": "llama", "source": "preset:llama",
              "set": {"d_model": $dModel, "heads": ${dModel / 64}, "d_ff": ${ffnbench.model.FfnVariant.gatedHiddenWidth(4 * dModel, 64)}},
              "variants": ["swiglu", "gelu"], "formulations": ["serial", "parallel"]}],
  "iterations": {"warmup": 1, "measured": 3}
}"""
val config = ffnbench.bench.BenchConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(configJson), java.util.Map.of())
val run = new ffnbench.spark.BenchJob(spark, config, System.out).run()
println(s"run directory: ${run.dir}")

// COMMAND ----------

val timings = spark.read.parquet(run.dir.resolve("timings.parquet").toString)
display(timings.groupBy("case_id", "formulation", "variant")
  .agg(org.apache.spark.sql.functions.avg("tokens_per_s").as("tokens_per_s"), org.apache.spark.sql.functions.avg("gflops_per_s").as("gflops_per_s"))
  .orderBy("variant", "formulation"))

// COMMAND ----------

// MAGIC %md Parallel over serial throughput, with 95% confidence intervals over the measured iterations:

// COMMAND ----------

println(new String(java.nio.file.Files.readAllBytes(run.dir.resolve("summary.md"))))
val cases = timings.select("case_id").distinct.count
require(cases == 4, s"expected 4 cases, got $cases")
println("NOTEBOOK-OK 01-quickstart")

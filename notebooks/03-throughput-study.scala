// Databricks notebook source
// MAGIC %md
// MAGIC # Throughput study: tokens/s across sequence lengths and model widths, serial vs parallel
// MAGIC
// MAGIC One config whose `d_model` and `seq_len` are lists: ffnbench runs their cross product (serial and parallel
// MAGIC block on identical weights and tokens at every point) as one resumable study. On Databricks, `display()` of the
// MAGIC final table gives the throughput-vs-size plot; `scripts/ffnbench report` draws it with the knee marked.

// COMMAND ----------

dbutils.widgets.text("d_models", "128,256", "d_model values")
dbutils.widgets.text("seq_lens", "32,128", "seq_len values")
dbutils.widgets.text("tokens", "4096", "Tokens per run")
dbutils.widgets.text("output", "/tmp/ffnbench-notebooks", "Run directory root")
def intList(name: String, min: Int, max: Int): Seq[Int] = dbutils.widgets.get(name).split(",").toSeq.map { v =>
  val n = scala.util.Try(v.trim.toInt).getOrElse(throw new IllegalArgumentException(s"widget $name: '$v' is not an integer"))
  require(n >= min && n <= max, s"widget $name values must be in $min..$max, got $n")
  n
}
val dModels = intList("d_models", 64, 16384)
dModels.foreach(d => require(d % 64 == 0, s"widget d_models: $d is not a multiple of 64"))
val seqLens = intList("seq_lens", 1, 8192)
val tokens = intList("tokens", 1, 100000000).head

// COMMAND ----------

case class Point(d_model: Int, seq_len: Int, formulation: String, tokens_per_s: Double, gflops_per_s: Double)
val json = s"""{
  "name": "throughput", "study": "throughput-${dModels.mkString("_")}-${seqLens.mkString("_")}-$tokens",
  "output": "${dbutils.widgets.get("output")}",
  "data": {"sequences": ${math.max(1, tokens / seqLens.max)}, "seq_len": [${seqLens.mkString(", ")}], "distribution": "gaussian", "seed": 7},
  "shards": ${spark.sparkContext.defaultParallelism},
  "models": [{"name": "llama", "source": "preset:llama",
              "set": {"d_model": [${dModels.mkString(", ")}], "heads": 2, "d_ff": "2.6875x"},
              "formulations": ["serial", "parallel"]}],
  "iterations": {"warmup": 1, "measured": 2},
  "stats": {"enabled": false}
}"""
// a re-run of this cell resumes the study (completed points are skipped), so a detached cluster loses nothing
val config = ffnbench.bench.BenchConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json), java.util.Map.of())
val run = new ffnbench.spark.BenchJob(spark, config, System.out).run()
import scala.collection.JavaConverters._
val points = run.iterations.asScala.groupBy(_.benchCase.id).values.map { its =>
  val c = its.head.benchCase
  Point(c.dModel, c.data.seqLen, c.formulation.id, its.map(_.tokensPerSecond).sum / its.size, its.map(_.gflops).sum / its.size)
}.toSeq

// COMMAND ----------

val table = spark.createDataFrame(points).orderBy("d_model", "seq_len", "formulation")
display(table)

// COMMAND ----------

require(table.count == dModels.size * seqLens.size * 2, "one point per (d_model, seq_len, formulation)")
println("NOTEBOOK-OK 03-throughput-study")

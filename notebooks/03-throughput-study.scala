// Databricks notebook source
// MAGIC %md
// MAGIC # Throughput study: tokens/s across sequence lengths and model widths, serial vs parallel
// MAGIC
// MAGIC One bench run per (d_model, seq_len); each run measures the serial and the parallel block on identical
// MAGIC weights and tokens. On Databricks, `display()` of the final table gives the throughput-vs-size plot.

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
val points = for (d <- dModels; t <- seqLens) yield {
  val json = s"""{
    "name": "throughput-d$d-t$t", "output": "${dbutils.widgets.get("output")}",
    "data": {"sequences": ${math.max(1, tokens / t)}, "seq_len": $t, "distribution": "gaussian", "seed": 7},
    "shards": ${spark.sparkContext.defaultParallelism},
    "models": [{"name": "llama", "source": "preset:llama",
                "set": {"d_model": $d, "heads": ${d / 64}, "d_ff": ${ffnbench.model.FfnVariant.gatedHiddenWidth(4 * d, 64)}},
                "formulations": ["serial", "parallel"]}],
    "iterations": {"warmup": 1, "measured": 2},
    "stats": {"enabled": false}
  }"""
  val config = ffnbench.bench.BenchConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json), java.util.Map.of())
  val run = new ffnbench.spark.BenchJob(spark, config, System.out).run()
  import scala.collection.JavaConverters._
  run.iterations.asScala.groupBy(_.benchCase.formulation.id).map { case (f, its) =>
    Point(d, t, f, its.map(_.tokensPerSecond).sum / its.size, its.map(_.gflops).sum / its.size)
  }
}

// COMMAND ----------

val table = spark.createDataFrame(points.flatten).orderBy("d_model", "seq_len", "formulation")
display(table)

// COMMAND ----------

require(table.count == dModels.size * seqLens.size * 2, "one point per (d_model, seq_len, formulation)")
println("NOTEBOOK-OK 03-throughput-study")

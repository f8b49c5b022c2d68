// Databricks notebook source
// MAGIC %md
// MAGIC # Activation study: SwiGLU vs GELU vs ReLU vs real MiniLM weights
// MAGIC
// MAGIC Seeded LLaMA-shaped layers with three FFN variants of matched parameter count, and the real all-MiniLM-L6-v2
// MAGIC layer 0 on real hidden states (sentences embedded by the model itself: `scripts/ffnbench import-text`).
// MAGIC Statistics per site come from `stats.parquet` (columns: `docs/RESULTS.md`); `display()` plots them on Databricks.

// COMMAND ----------

dbutils.widgets.text("sequences", "8", "Sequences (synthetic)")
dbutils.widgets.text("minilm_input", "data/sample/minilm-layer0-input.parquet", "Real MiniLM hidden states (Parquet)")
dbutils.widgets.text("output", "/tmp/ffnbench-notebooks", "Run directory root")
val sequences = scala.util.Try(dbutils.widgets.get("sequences").trim.toInt).getOrElse(-1)
require(sequences >= 1 && sequences <= 1000000, s"widget sequences must be in 1..1000000, got '${dbutils.widgets.get("sequences")}'")
val minilmInput = dbutils.widgets.get("minilm_input")
require(new java.io.File(minilmInput).exists, s"widget minilm_input: $minilmInput does not exist (make it with scripts/ffnbench import-text)")

// COMMAND ----------

val configJson = s"""{
  "name": "activations", "output": "${dbutils.widgets.get("output")}",
  "data": {"sequences": $sequences, "seq_len": 64, "distribution": "llm", "seed": 7},
  "shards": ${spark.sparkContext.defaultParallelism},
  "models": [
    {"name": "llama", "source": "preset:llama", "set": {"d_model": 256, "heads": 4, "d_ff": 704},
     "variants": ["swiglu", "gelu", "relu"], "formulations": ["serial"]},
    {"name": "minilm", "source": "minilm", "input": "$minilmInput", "formulations": ["serial"]}
  ],
  "iterations": {"warmup": 0, "measured": 1}
}"""
val config = ffnbench.bench.BenchConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(configJson), java.util.Map.of())
val run = new ffnbench.spark.BenchJob(spark, config, System.out).run()
val stats = spark.read.parquet(run.dir.resolve("stats.parquet").toString)

// COMMAND ----------

// MAGIC %md ## Sparsity and tails after the non-linearity (`ffn_act`)

// COMMAND ----------

import org.apache.spark.sql.functions._
display(stats.where(col("site") === "ffn_act")
  .select("case_id", "zero_frac", "near_zero_frac", "negative_frac", "kurtosis", "max_abs", "dead_neurons", "p1", "p50", "p99")
  .orderBy("case_id"))

// COMMAND ----------

// MAGIC %md ## Histograms of the activations (bins over [histogram_low, histogram_high), under/overflow at the ends)

// COMMAND ----------

display(stats.where(col("site") === "ffn_act")
  .select(col("case_id"), posexplode(col("histogram")).as(Seq("bin", "count")))
  .where(col("count") > 0))

// COMMAND ----------

// MAGIC %md ## Outlier channels of the inputs and massive activations

// COMMAND ----------

display(stats.where(col("site").isin("input", "block_out"))
  .select("case_id", "site", "top_channels", "top_channel_max_abs", "frequent_outlier_channels", "max_token_ratio", "massive_tokens",
    "channel_rms_kurtosis")
  .orderBy("case_id", "site"))

// COMMAND ----------

val relu = stats.where(col("case_id") === "llama.relu.serial" && col("site") === "ffn_act").select("zero_frac").first.getDouble(0)
require(relu > 0.3, s"ReLU should zero a large share of its outputs, got $relu")
require(stats.select("case_id").distinct.count == 4, "four cases")
println("NOTEBOOK-OK 02-activation-study")

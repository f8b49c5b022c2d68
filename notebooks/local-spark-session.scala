// Not a notebook: what spark-shell binds before the first line (`spark`, `sc` and its imports), for the
// Scala 2.13 REPL that runs the notebooks on Spark 4 (NotebookTest; Spark ships no REPL for 2.13 here).
val spark = org.apache.spark.sql.SparkSession.builder().getOrCreate()
val sc = spark.sparkContext
import spark.implicits._
import spark.sql
import org.apache.spark.sql.functions._

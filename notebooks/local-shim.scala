// Not a notebook: what Databricks provides and a local Spark REPL lacks, for running the notebooks here
// (NotebookTest). display() prints a DataFrame; dbutils.widgets reads -Dwidget.<name>=<value>.
import org.apache.spark.sql.DataFrame

def display(df: DataFrame): Unit = df.show(50, false)

object dbutils {
  object widgets {
    def text(name: String, default: String, label: String = ""): Unit =
      if (System.getProperty("widget." + name) == null) System.setProperty("widget." + name, default)
    def get(name: String): String = Option(System.getProperty("widget." + name))
      .getOrElse(throw new IllegalArgumentException(s"no widget named $name"))
  }
}

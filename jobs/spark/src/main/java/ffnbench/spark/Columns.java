package ffnbench.spark;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * A table's columns in one list: each column's name, Spark type and how its value is read off a
 * source object. The schema and the rows come from the same list, so a column is added, moved or
 * removed in one place and nothing positional can drift apart.
 *
 * @param <T> what one row is made from
 */
final class Columns<T> {
    /** One column: name, type, nullability, and its value for a source object. */
    record Column<T>(String name, DataType type, boolean nullable, Function<T, Object> value) { }

    private final List<Column<T>> columns = new ArrayList<>();

    /** Adds a nullable column. */
    Columns<T> add(String name, DataType type, Function<T, Object> value) {
        columns.add(new Column<>(name, type, true, value));
        return this;
    }

    /** Adds a column whose value is never null. */
    Columns<T> required(String name, DataType type, Function<T, Object> value) {
        columns.add(new Column<>(name, type, false, value));
        return this;
    }

    List<Column<T>> list() {
        return columns;
    }

    StructType schema() {
        StructType t = new StructType();
        for (Column<T> c : columns) t = t.add(c.name(), c.type(), c.nullable());
        return t;
    }

    Row row(T source) {
        Object[] v = new Object[columns.size()];
        for (int i = 0; i < v.length; i++) v[i] = columns.get(i).value().apply(source);
        return RowFactory.create(v);
    }

    List<Row> rows(Collection<? extends T> sources) {
        List<Row> rows = new ArrayList<>(sources.size());
        for (T s : sources) rows.add(row(s));
        return rows;
    }
}

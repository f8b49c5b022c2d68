package ffnbench.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The fields of one JSON object of a bench config, read with their checks: an unknown field, a value
 * of the wrong type or out of range is refused with the field's full path ({@code models.0.layers})
 * and what it accepts.
 */
final class ConfigFields {
    private final JsonNode node;
    private final String prefix;

    ConfigFields(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    void allow(String... fields) {
        Set<String> ok = Set.of(fields);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!ok.contains(f)) {
                throw new IllegalArgumentException("config: unknown field " + prefix + f + "; allowed here: " + String.join(", ", fields));
            }
        }
    }

    String path(String f) {
        return prefix + f;
    }

    JsonNode get(String f) {
        JsonNode v = node.get(f);
        return v == null || v.isNull() ? null : v;
    }

    String text(String f, String def) {
        JsonNode v = get(f);
        if (v == null) return def;
        if (!v.isTextual()) throw new IllegalArgumentException("config: " + path(f) + " must be a string, got " + v);
        return v.asText();
    }

    long integer(String f, long def, long min, long max) {
        JsonNode v = get(f);
        if (v == null) return def;
        if (!v.isIntegralNumber()) throw new IllegalArgumentException("config: " + path(f) + " must be an integer, got " + v);
        if (!v.canConvertToLong()) throw new IllegalArgumentException("config: " + path(f) + " must be in " + min + ".." + max + ", got " + v);
        long x = v.asLong();
        if (x < min || x > max) throw new IllegalArgumentException("config: " + path(f) + " must be in " + min + ".." + max + ", got " + x);
        return x;
    }

    double number(String f, double def) {
        JsonNode v = get(f);
        if (v == null) return def;
        if (!v.isNumber()) throw new IllegalArgumentException("config: " + path(f) + " must be a number, got " + v);
        return v.asDouble();
    }

    boolean bool(String f, boolean def) {
        JsonNode v = get(f);
        if (v == null) return def;
        if (!v.isBoolean()) throw new IllegalArgumentException("config: " + path(f) + " must be true or false, got " + v);
        return v.asBoolean();
    }

    List<String> strings(String f, List<String> def) {
        JsonNode v = get(f);
        if (v == null) return def;
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            for (String s : v.asText().split(",")) if (!s.isBlank()) out.add(s.trim());
        } else if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isValueNode()) throw new IllegalArgumentException("config: " + path(f) + " must list plain values, got " + e);
                out.add(e.asText());
            }
        } else if (v.isValueNode()) {
            out.add(v.asText());   // a single number or boolean
        } else {
            throw new IllegalArgumentException("config: " + path(f) + " must be a value or a list, got " + v);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("config: " + path(f) + " must not be empty");
        return out;
    }

    /** A scalar or a list of integers (a sweep dimension). */
    List<Long> integers(String f, long def, long min, long max) {
        JsonNode v = get(f);
        if (v == null) return List.of(def);
        List<Long> out = new ArrayList<>();
        for (JsonNode e : v.isArray() ? v : JsonNodeFactory.instance.arrayNode().add(v)) {
            if (!e.isIntegralNumber()) throw new IllegalArgumentException("config: " + path(f) + " must be an integer or a list of integers, got " + v);
            if (!e.canConvertToLong()) {   // asLong() would wrap around
                throw new IllegalArgumentException("config: " + path(f) + " values must be in " + min + ".." + max + ", got " + e);
            }
            long x = e.asLong();
            if (x < min || x > max) throw new IllegalArgumentException("config: " + path(f) + " values must be in " + min + ".." + max + ", got " + x);
            out.add(x);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("config: " + path(f) + " must not be an empty list");
        if (out.stream().distinct().count() != out.size()) throw new IllegalArgumentException("config: " + path(f) + " lists a value twice: " + v);
        return out;
    }

    ConfigFields object(String f) {
        JsonNode v = get(f);
        if (v == null) return new ConfigFields(JsonNodeFactory.instance.objectNode(), path(f) + ".");
        if (!v.isObject()) throw new IllegalArgumentException("config: " + path(f) + " must be an object, got " + v);
        return new ConfigFields(v, path(f) + ".");
    }
}

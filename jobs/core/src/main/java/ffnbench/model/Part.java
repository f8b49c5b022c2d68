package ffnbench.model;

import java.util.Locale;

/** Which part of a layer runs: the whole {@code block}, or its {@code mlp} sublayer alone (no norm, no residual). */
public enum Part {
    BLOCK, MLP;

    /** Name as written on command lines and in the SQL functions: block, mlp. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Part parse(String id) {
        for (Part p : values()) if (p.id().equals(id.trim().toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException("part must be block or mlp, got '" + id + "'");
    }
}

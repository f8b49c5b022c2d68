package ffnbench.model;

import java.util.Locale;

/** LayerNorm (γ, β) or RMSNorm (γ only). */
public enum NormType {
    LAYERNORM, RMSNORM;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NormType parse(String id) {
        String s = id.trim().toLowerCase(Locale.ROOT);
        if (s.equals("layernorm") || s.equals("layer_norm") || s.equals("ln")) return LAYERNORM;
        if (s.equals("rmsnorm") || s.equals("rms_norm") || s.equals("rms")) return RMSNORM;
        throw new IllegalArgumentException("unknown norm '" + id + "': use layernorm or rmsnorm");
    }
}

package ffnbench.model;

import ffnbench.math.Activation;
import java.util.Locale;

/**
 * Which FFN: standard {@code W2·f(W1·x + b1) + b2} named by its activation ({@code relu}, {@code gelu},
 * {@code gelu_tanh}, {@code silu}, {@code swish:<β>}, {@code sigmoid}, {@code tanh}, {@code quick_gelu}),
 * or gated {@code W_down·(g(W_gate·x) ⊙ W_up·x)}: {@code glu} (σ), {@code reglu}, {@code geglu},
 * {@code swiglu}, {@code bilinear} (no activation).
 */
public record FfnVariant(String name, boolean gated, Activation activation) implements java.io.Serializable {

    public static final String NAMES = "relu, gelu, gelu_tanh, silu, swish:<beta>, sigmoid, tanh, quick_gelu, "
            + "glu, reglu, geglu, swiglu, bilinear";

    public static FfnVariant parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "glu": return new FfnVariant(n, true, Activation.SIGMOID);
            case "reglu": return new FfnVariant(n, true, Activation.RELU);
            case "geglu": return new FfnVariant(n, true, Activation.GELU);
            case "swiglu": return new FfnVariant(n, true, Activation.SILU);
            case "bilinear": return new FfnVariant(n, true, Activation.IDENTITY);
            default:
                try {
                    Activation a = Activation.parse(n);
                    return new FfnVariant(a.name(), false, a);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("unknown FFN variant '" + name + "': use one of " + NAMES);
                }
        }
    }

    /** A gated variant with an arbitrary gate activation (e.g. from an HF llama config's hidden_act). */
    public static FfnVariant gatedWith(Activation gateActivation) {
        String name = switch (gateActivation.kind()) {
            case SIGMOID -> "glu";
            case RELU -> "reglu";
            case GELU -> "geglu";
            case SILU -> "swiglu";
            case IDENTITY -> "bilinear";
            default -> "gated_" + gateActivation.name();
        };
        return new FfnVariant(name, true, gateActivation);
    }

    /**
     * The hidden width of a gated FFN whose parameter and FLOP count match a standard FFN of width
     * {@code standardDff}: ⅔ of it, rounded up to a multiple (LLaMA: 256, so 4·4096 → 11008).
     */
    public static int gatedHiddenWidth(int standardDff, int multiple) {
        if (standardDff <= 0 || multiple <= 0) {
            throw new IllegalArgumentException("d_ff and the rounding multiple must be positive");
        }
        int twoThirds = (int) Math.ceil(2.0 * standardDff / 3.0);
        return multiple * ((twoThirds + multiple - 1) / multiple);
    }

    @Override
    public String toString() {
        return name;
    }
}

package ffnbench.model;

import java.util.Locale;

/** Where a block's norms sit: before each sublayer (GPT-2, LLaMA) or after each residual add (BERT). */
public enum NormPlacement {
    PRE, POST;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NormPlacement parse(String id) {
        String s = id.trim().toLowerCase(Locale.ROOT);
        if (s.equals("pre") || s.equals("pre-ln")) return PRE;
        if (s.equals("post") || s.equals("post-ln")) return POST;
        throw new IllegalArgumentException("unknown norm placement '" + id + "': use pre or post");
    }
}

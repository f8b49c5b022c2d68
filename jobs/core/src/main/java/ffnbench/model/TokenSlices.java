package ffnbench.model;

import ffnbench.backend.Blas;
import java.util.stream.IntStream;

/**
 * An FFN's element-wise work over its tokens, on as many threads as each of its GEMM calls
 * ({@code ffnbench.blas.threads}). With one thread, the default and what every Spark task runs, it is
 * one plain call on the caller's thread. Each value is computed by the same operations whichever slice
 * holds it, so the result does not depend on the thread count.
 */
final class TokenSlices {

    /** Below this many values a split costs more than it saves. */
    static final int MIN_VALUES_TO_SPLIT = 1 << 16;

    /** The work on tokens {@code [from, to)}. */
    interface Body {
        void run(int from, int to);
    }

    private TokenSlices() {}

    /** Runs {@code body} over {@code [0, tokens)}, split into one slice per BLAS thread when worth it. */
    static void forEach(int tokens, int valuesPerToken, Body body) {
        int threads = Math.min(Blas.requestedThreads(), tokens);
        if (threads <= 1 || (long) tokens * valuesPerToken < MIN_VALUES_TO_SPLIT) {
            body.run(0, tokens);
            return;
        }
        IntStream.range(0, threads).parallel()
                .forEach(s -> body.run((int) ((long) tokens * s / threads), (int) ((long) tokens * (s + 1) / threads)));
    }
}

package ffnbench.math;

import java.util.SplittableRandom;

/**
 * Normal draws by the Box–Muller transform on a {@link SplittableRandom} stream, with
 * {@link StrictMath}: {@code Math.log}/{@code cos} may differ by an ulp between the interpreter and the
 * JIT, and seeded weights and tokens must be the same bits on every executor, whenever they are made.
 */
public final class Gaussian {
    private Gaussian() {}

    /** Fills {@code t} with N(0, std²): each pair of uniforms gives two values (cos and sin branch). */
    public static void fill(float[] t, double std, SplittableRandom random) {
        for (int i = 0; i < t.length; i += 2) {
            double u1 = 1.0 - random.nextDouble(); // (0, 1]: log is finite
            double u2 = random.nextDouble();
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * std;
            t[i] = (float) (r * StrictMath.cos(2 * Math.PI * u2));
            if (i + 1 < t.length) t[i + 1] = (float) (r * StrictMath.sin(2 * Math.PI * u2));
        }
    }

    /** One N(0, 1) draw (the cos branch of one pair of uniforms). */
    public static double next(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
    }
}

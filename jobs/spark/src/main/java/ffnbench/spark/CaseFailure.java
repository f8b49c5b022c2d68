package ffnbench.spark;

/** A case failed for a reason its message names in full (e.g. it ran out of memory); the run stops there. */
public final class CaseFailure extends RuntimeException {
    public CaseFailure(String message, Throwable cause) {
        super(message, cause);
    }
}

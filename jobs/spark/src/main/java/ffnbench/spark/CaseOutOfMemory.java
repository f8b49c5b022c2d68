package ffnbench.spark;

/**
 * A task of a case ran out of heap. Thrown in place of the {@link OutOfMemoryError}, which Spark
 * treats as fatal (the executor JVM exits, in local mode the whole application with code 52): as
 * an ordinary exception it fails the task and then the case, and the driver says which case it was
 * and what the memory planner had estimated.
 */
public final class CaseOutOfMemory extends RuntimeException {
    public CaseOutOfMemory(String caseId, OutOfMemoryError e) {
        super("case " + caseId + " ran out of memory in an executor (" + e.getMessage() + ")");
    }

    /** The first {@code CaseOutOfMemory} in a chain of causes (Spark wraps task failures), or null. */
    static CaseOutOfMemory in(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CaseOutOfMemory oom) return oom;
        }
        return null;
    }
}

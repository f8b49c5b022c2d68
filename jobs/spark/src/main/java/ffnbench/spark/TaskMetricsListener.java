package ffnbench.spark;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.Success$;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.collection.JavaConverters;

/**
 * Collects Spark task metrics per job group (ffnbench runs each case iteration in its own group):
 * executor run time, CPU time, GC time, tasks, failed task attempts and retried successes, and the
 * executors that ran tasks; and how many executors the application gained and lost.
 */
public final class TaskMetricsListener extends SparkListener {

    /** Totals for one job group. */
    public static final class GroupMetrics {
        public long tasks;
        public long failedAttempts;
        public long retriedSuccesses;
        public long executorRunTimeMs;
        public long executorCpuTimeNs;
        public long gcTimeMs;
        public long inputBytes;
        public long shuffleBytesWritten;
        public long shuffleRecordsWritten;
        public long shuffleWriteNs;
        public long shuffleBytesRead;
        public long shuffleFetchWaitMs;
        public final Set<String> executors = ConcurrentHashMap.newKeySet();
        int jobsStarted;
        int jobsEnded;

        public ffnbench.study.IterationResult.Shuffle shuffle() {
            return new ffnbench.study.IterationResult.Shuffle(shuffleBytesWritten, shuffleRecordsWritten, shuffleWriteNs,
                    shuffleBytesRead, shuffleFetchWaitMs);
        }

        public boolean retried() {
            return failedAttempts > 0 || retriedSuccesses > 0;
        }
    }

    private final Map<Integer, String> stageGroup = new ConcurrentHashMap<>();
    private final Map<Integer, String> jobGroup = new ConcurrentHashMap<>();
    private final Map<String, GroupMetrics> groups = new ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.AtomicLong executorsAdded = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong executorsLost = new java.util.concurrent.atomic.AtomicLong();

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded e) {
        executorsAdded.incrementAndGet();
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
        executorsLost.incrementAndGet();
    }

    /** Executors added to the application since this listener was registered. */
    public long executorsAdded() {
        return executorsAdded.get();
    }

    /** Executors removed (lost or killed) since this listener was registered. */
    public long executorsLost() {
        return executorsLost.get();
    }

    private GroupMetrics group(String g) {
        return groups.computeIfAbsent(g, k -> new GroupMetrics());
    }

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        String g = e.properties() == null ? null : e.properties().getProperty("spark.jobGroup.id");
        if (g == null) return;
        jobGroup.put(e.jobId(), g);
        List<Object> stages = JavaConverters.seqAsJavaList(e.stageIds());
        for (Object s : stages) stageGroup.put((Integer) s, g);
        GroupMetrics m = group(g);
        synchronized (m) {
            m.jobsStarted++;
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        String g = stageGroup.get(e.stageId());
        if (g == null) return;
        GroupMetrics m = group(g);
        synchronized (m) {
            if (e.reason() == Success$.MODULE$) {
                m.tasks++;
                if (e.taskInfo().attemptNumber() > 0) m.retriedSuccesses++;
                TaskMetrics t = e.taskMetrics();
                if (t != null) {
                    m.executorRunTimeMs += t.executorRunTime();
                    m.executorCpuTimeNs += t.executorCpuTime();
                    m.gcTimeMs += t.jvmGCTime();
                    m.inputBytes += t.inputMetrics().bytesRead();
                    m.shuffleBytesWritten += t.shuffleWriteMetrics().bytesWritten();
                    m.shuffleRecordsWritten += t.shuffleWriteMetrics().recordsWritten();
                    m.shuffleWriteNs += t.shuffleWriteMetrics().writeTime();
                    m.shuffleBytesRead += t.shuffleReadMetrics().totalBytesRead();
                    m.shuffleFetchWaitMs += t.shuffleReadMetrics().fetchWaitTime();
                }
            } else {
                m.failedAttempts++;
            }
            m.executors.add(e.taskInfo().executorId());
        }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
        String g = jobGroup.get(e.jobId());
        if (g == null) return;
        GroupMetrics m = group(g);
        synchronized (m) {
            m.jobsEnded++;
            m.notifyAll();
        }
    }

    /**
     * The group's totals once the listener has seen all its jobs end (listener events arrive
     * asynchronously, after the action returns).
     */
    public GroupMetrics await(String g, long timeoutMs) throws InterruptedException {
        GroupMetrics m = group(g);
        long deadline = System.currentTimeMillis() + timeoutMs;
        synchronized (m) {
            while ((m.jobsStarted == 0 || m.jobsEnded < m.jobsStarted) && System.currentTimeMillis() < deadline) {
                m.wait(Math.max(1, deadline - System.currentTimeMillis()));
            }
        }
        return m;
    }
}

package ffnbench.spark;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The lock a running bench holds on its incomplete run directory ({@code .lock}, an OS file lock,
 * gone when the process dies however it ends). It keeps a second process from running the same
 * study at the same time, and tells a live run's directory from one a killed run left behind.
 */
final class RunLock {
    private RunLock() {}

    static final String FILE = ".lock";

    /** Locks {@code work} for this process; refuses when another process holds it. */
    static FileChannel hold(Path work, String runId) throws IOException {
        FileChannel channel = FileChannel.open(work.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held;
        try {
            held = channel.tryLock();
        } catch (OverlappingFileLockException sameJvm) {
            held = null;
        }
        if (held == null) {
            channel.close();
            throw new IllegalArgumentException("study " + runId + " is being run by another ffnbench process (" + work
                    + " is locked): wait for it to finish, or give this run another study id (--study NEW_ID)");
        }
        return channel;
    }

    /** Releases the lock and removes its file, before the directory becomes the finished run. */
    static void release(FileChannel channel, Path work) throws IOException {
        channel.close();
        Files.deleteIfExists(work.resolve(FILE));
    }

    /**
     * Whether no process runs in {@code dir} any more: its lock can be taken; or, for a directory
     * without a lock file, it has not changed since {@code before}.
     */
    static boolean abandoned(Path dir, Instant before) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) return Files.getLastModifiedTime(dir).toInstant().isBefore(before);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            return lock != null;   // closing the channel releases it
        } catch (OverlappingFileLockException heldInThisJvm) {
            return false;
        }
    }
}

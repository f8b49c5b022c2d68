package ffnbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.data.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    @Test
    void roundTrip() throws IOException {
        float[] data = {1, 2, 3, 4, 5, 6};
        Path f = dir.resolve("a.npy");
        Npy.write(f, new long[] {1, 2, 3}, data);
        Npy.Array a = Npy.read(f);
        assertArrayEquals(new long[] {1, 2, 3}, a.shape());
        assertArrayEquals(data, a.data());
        // header is padded to a multiple of 64 bytes, as numpy writes it
        assertTrue((Files.size(f) - 24) % 64 == 0);
    }

    /** A full disk (the temporary file is /dev/full) leaves neither a partial file nor the temporary one. */
    @Test
    void aFailedWriteLeavesNothingBehind(@TempDir Path dir) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "needs /dev/full");
        Path y = dir.resolve("y.npy");
        Files.createSymbolicLink(dir.resolve("y.npy.tmp"), Path.of("/dev/full"));
        IOException e = assertThrows(IOException.class,
                () -> Npy.write(y, new long[] {1000, 100}, new float[100_000]));
        assertTrue(e.getMessage().contains(y.toString()), e.getMessage());
        assertFalse(Files.exists(y, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(dir.resolve("y.npy.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void truncatedAndWrongDtypeAreNamed() throws IOException {
        Path f = dir.resolve("b.npy");
        Npy.write(f, new long[] {10}, new float[10]);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 4));
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        String s = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1).replace("<f4", "<i4");
        Files.write(f, s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("<i4"), e.getMessage());
    }
}

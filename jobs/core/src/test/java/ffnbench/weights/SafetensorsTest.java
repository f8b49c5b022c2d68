package ffnbench.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import ffnbench.math.Half;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafetensorsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Safetensors.DType.class)
    void roundTripInEveryDtype(Safetensors.DType dtype) throws IOException {
        float[] a = Reference.gaussian(6 * 5, 1, 1);
        float[] b = {0f, -0f, 1f, -2.5f, 65504f, 1e-7f};
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("layer.weight", new Safetensors.Tensor(new long[] {6, 5}, a));
        tensors.put("layer.bias", new Safetensors.Tensor(new long[] {6}, b));
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, tensors, dtype);
        try (Safetensors st = Safetensors.open(file)) {
            assertArrayEquals(new long[] {6, 5}, st.entries().get("layer.weight").shape());
            assertEquals(dtype, st.entries().get("layer.bias").dtype());
            float[] ra = st.read("layer.weight");
            for (int i = 0; i < a.length; i++) assertEquals(rounded(a[i], dtype), ra[i], 0, "element " + i);
            float[] rb = st.read("layer.bias");
            for (int i = 0; i < b.length; i++) assertEquals(rounded(b[i], dtype), rb[i], 0);
        }
    }

    private static float rounded(float v, Safetensors.DType dtype) {
        return switch (dtype) {
            case F32 -> v;
            case F16 -> Half.halfToFloat(Half.floatToHalf(v));
            case BF16 -> Half.bf16ToFloat(Half.floatToBf16(v));
        };
    }

    @Test
    void halfPrecisionConversionsHandDerived() {
        assertEquals((short) 0x3c00, Half.floatToHalf(1f));
        assertEquals((short) 0xc000, Half.floatToHalf(-2f));
        assertEquals((short) 0x7bff, Half.floatToHalf(65504f));
        assertEquals((short) 0x7c00, Half.floatToHalf(1e6f));
        assertEquals((short) 0x0001, Half.floatToHalf(0x1p-24f));       // smallest subnormal
        assertEquals(0x1p-24f, Half.halfToFloat((short) 0x0001), 0);
        assertEquals(0.333251953125f, Half.halfToFloat(Half.floatToHalf(1f / 3)), 0);
        assertEquals((short) 0x3f80, Half.floatToBf16(1f));
        assertEquals(1.0078125f, Half.bf16ToFloat(Half.floatToBf16(1.01f)), 0);
        assertTrue(Float.isNaN(Half.halfToFloat(Half.floatToHalf(Float.NaN))));
    }

    @Test
    void truncatedFileNamesTheTensor() throws IOException {
        Map<String, Safetensors.Tensor> tensors = Map.of("w", new Safetensors.Tensor(new long[] {100}, new float[100]));
        Path file = dir.resolve("t.safetensors");
        Safetensors.write(file, tensors, Safetensors.DType.F32);
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, all.length - 10));
        IOException e = assertThrows(IOException.class, () -> Safetensors.open(file));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("w"), e.getMessage());
    }

    @Test
    void garbageAndBadHeadersAreRejected() throws IOException {
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, "not a safetensors file at all".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> Safetensors.open(junk));

        Path badDtype = dir.resolve("dtype.safetensors");
        writeRaw(badDtype, "{\"w\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        IOException e = assertThrows(IOException.class, () -> Safetensors.open(badDtype));
        assertTrue(e.getMessage().contains("I8"), e.getMessage());

        Path badOffsets = dir.resolve("offsets.safetensors");
        writeRaw(badOffsets, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        e = assertThrows(IOException.class, () -> Safetensors.open(badOffsets));
        assertTrue(e.getMessage().contains("data_offsets") && e.getMessage().contains("w"), e.getMessage());
    }

    static void writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        Files.write(file, buf.array());
    }
}

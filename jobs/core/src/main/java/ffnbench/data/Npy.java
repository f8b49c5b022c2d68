package ffnbench.data;

import ffnbench.math.Half;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy {@code .npy} files: read float32/float16/float64 C-order arrays as float32, write float32. */
public final class Npy {

    /** A float32 array with its shape. */
    public record Array(long[] shape, float[] data) {
        public long dim(int i) {
            return shape[i];
        }

        public int rank() {
            return shape.length;
        }

        @Override
        public String toString() {
            return "float32" + Arrays.toString(shape);
        }
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    public static Array read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString());
        }
    }

    public static Array read(InputStream in, String what) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || !Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
            throw new IOException(what + " is not a .npy file (bad magic); write it with numpy.save");
        }
        int major = magic[6];
        int headerLen;
        if (major == 1) {
            byte[] b = in.readNBytes(2);
            headerLen = (b[0] & 0xff) | (b[1] & 0xff) << 8;
        } else {
            byte[] b = in.readNBytes(4);
            headerLen = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }
        String header = new String(in.readNBytes(headerLen), StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, what, "descr");
        if (group(FORTRAN, header, what, "fortran_order").equals("True")) {
            throw new IOException(what + " is Fortran-ordered; save a C-ordered array (numpy.ascontiguousarray)");
        }
        long[] shape = parseShape(group(SHAPE, header, what, "shape"));
        long count = 1;
        for (long s : shape) count *= s;
        if (count > Integer.MAX_VALUE - 16) {
            throw new IOException(what + " holds " + count + " values, more than one Java array can; split it");
        }
        int n = (int) count;
        int width = switch (descr) {
            case "<f4", "=f4" -> 4;
            case "<f2", "=f2" -> 2;
            case "<f8", "=f8" -> 8;
            default -> throw new IOException(what + " has dtype " + descr + "; ffnbench reads float32, float16 or float64 (little-endian)");
        };
        byte[] raw = in.readNBytes(n * width);
        if (raw.length != n * width) {
            throw new IOException(what + " is truncated: header says " + Arrays.toString(shape) + " (" + (long) n * width
                    + " bytes) but only " + raw.length + " bytes follow");
        }
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] data = new float[n];
        switch (width) {
            case 4 -> buf.asFloatBuffer().get(data);
            case 2 -> { for (int i = 0; i < n; i++) data[i] = Half.halfToFloat(buf.getShort()); }
            default -> { for (int i = 0; i < n; i++) data[i] = (float) buf.getDouble(); }
        }
        return new Array(shape, data);
    }

    private static String group(Pattern p, String header, String what, String field) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) throw new IOException(what + ": .npy header has no '" + field + "': " + header.trim());
        return m.group(1);
    }

    private static long[] parseShape(String s) {
        List<Long> dims = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) dims.add(Long.parseLong(part.trim()));
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    /** Writes a float32 C-order array. */
    public static void write(Path path, long[] shape, float[] data) throws IOException {
        long count = 1;
        for (long s : shape) count *= s;
        if (count != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + count + " values, got " + data.length);
        }
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < shape.length; i++) dims.append(i == 0 ? "" : ", ").append(shape[i]);
        if (shape.length == 1) dims.append(',');
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.write(MAGIC);
        head.write(1);
        head.write(0);
        head.write(header.length() & 0xff);
        head.write((header.length() >>> 8) & 0xff);
        head.write(header.getBytes(StandardCharsets.ISO_8859_1));
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(head.toByteArray());
                ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(data);
                out.write(buf.array());
            }
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {   // a full disk, say: leave no partial file behind
            Files.deleteIfExists(tmp);
            throw new IOException("could not write " + path + ": " + e.getMessage(), e);
        }
    }
}

package ffnbench.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ffnbench.math.Half;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}}}, then the raw little-endian data
 * (offsets relative to its start). Reads F32, F16 and BF16 as float32; writes any of the three.
 * Every header entry is checked against the file size before any data is read.
 */
public final class Safetensors implements AutoCloseable {

    /** Element types this reader understands. */
    public enum DType {
        F32(4), F16(2), BF16(2);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /** One header entry. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private Safetensors(Path path) throws IOException {
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) throw bad("is " + size + " bytes long, too short for a safetensors header");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw bad("declares a " + headerLen + "-byte header but the file has " + size + " bytes (truncated or not safetensors)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(header, 8);
            this.dataStart = 8 + headerLen;
            JsonNode root;
            try {
                root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw bad("has a header that is not valid JSON: " + e.getMessage());
            }
            if (root == null || !root.isObject()) throw bad("has a header that is not a JSON object");
            long dataSize = size - dataStart;
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) continue;
                Entry e = parseEntry(f.getKey(), f.getValue());
                if (e.end > dataSize) {
                    throw bad("is truncated: tensor " + e.name + " ends at data byte " + e.end + " but only " + dataSize + " data bytes exist");
                }
                entries.put(e.name, e);
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public static Safetensors open(Path path) throws IOException {
        return new Safetensors(path);
    }

    private Entry parseEntry(String name, JsonNode node) throws IOException {
        String dt = node.path("dtype").asText("");
        DType dtype;
        try {
            dtype = DType.valueOf(dt);
        } catch (IllegalArgumentException e) {
            throw bad("stores tensor " + name + " as dtype '" + dt + "'; ffnbench reads F32, F16 and BF16");
        }
        JsonNode shapeNode = node.path("shape");
        JsonNode offsets = node.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw bad("has a malformed header entry for tensor " + name + " (needs shape and data_offsets)");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong(-1);
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        Entry e = new Entry(name, dtype, shape, begin, end);
        for (long s : shape) {
            if (s < 0) throw bad("gives tensor " + name + " a negative dimension " + Arrays.toString(shape));
        }
        if (begin < 0 || end < begin || end - begin != e.elements() * dtype.bytes) {
            throw bad("gives tensor " + name + " data_offsets [" + begin + ", " + end + "] that do not hold shape "
                    + Arrays.toString(shape) + " of " + dtype);
        }
        return e;
    }

    private IOException bad(String what) {
        return new IOException("safetensors file " + path + " " + what);
    }

    private void readFully(ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) throw bad("ended early at byte " + pos);
            pos += n;
        }
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public Path path() {
        return path;
    }

    /** Reads a tensor as float32 (converting F16/BF16). */
    public float[] read(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) throw new IOException("missing tensor " + name + " in " + path);
        long n = e.elements();
        if (n > Integer.MAX_VALUE - 16) throw new IOException("tensor " + name + " has " + n + " elements, too many for one array");
        ByteBuffer buf = ByteBuffer.allocate((int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(buf, dataStart + e.begin);
        buf.flip();
        float[] out = new float[(int) n];
        switch (e.dtype) {
            case F32 -> buf.asFloatBuffer().get(out);
            case F16 -> { for (int i = 0; i < out.length; i++) out[i] = Half.halfToFloat(buf.getShort()); }
            case BF16 -> { for (int i = 0; i < out.length; i++) out[i] = Half.bf16ToFloat(buf.getShort()); }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** A tensor to write. */
    public record Tensor(long[] shape, float[] data) { }

    /** Writes tensors in one dtype (atomically: a temporary file renamed into place). */
    public static void write(Path path, Map<String, Tensor> tensors, DType dtype) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, Tensor> t : tensors.entrySet()) {
            long n = 1;
            for (long s : t.getValue().shape()) n *= s;
            if (n != t.getValue().data().length) {
                throw new IllegalArgumentException("tensor " + t.getKey() + ": shape " + Arrays.toString(t.getValue().shape())
                        + " does not match " + t.getValue().data().length + " values");
            }
            ObjectNode e = header.putObject(t.getKey());
            e.put("dtype", dtype.name());
            var shape = e.putArray("shape");
            for (long s : t.getValue().shape()) shape.add(s);
            var offs = e.putArray("data_offsets");
            offs.add(offset);
            offset += n * dtype.bytes;
            offs.add(offset);
        }
        byte[] headerBytes = JSON.writeValueAsBytes(header);
        int pad = (8 - headerBytes.length % 8) % 8;
        byte[] padded = Arrays.copyOf(headerBytes, headerBytes.length + pad);
        Arrays.fill(padded, headerBytes.length, padded.length, (byte) ' ');
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            out.write(len.array());
            out.write(padded);
            for (Tensor t : tensors.values()) {
                ByteBuffer buf = ByteBuffer.allocate(t.data().length * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : t.data()) {
                    switch (dtype) {
                        case F32 -> buf.putFloat(v);
                        case F16 -> buf.putShort(Half.floatToHalf(v));
                        case BF16 -> buf.putShort(Half.floatToBf16(v));
                    }
                }
                out.write(buf.array());
            }
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

package ffnbench.weights;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model file that weight loading needs: the graph's nodes and float
 * initializers. Read with protobuf's wire-format reader (field numbers from onnx.proto), streaming,
 * so the file is never held twice.
 *
 * <pre>
 * ModelProto.graph = 7;  GraphProto.node = 1, initializer = 5;
 * NodeProto.input = 1, output = 2, op_type = 4;
 * TensorProto.dims = 1, data_type = 2 (1 = FLOAT), float_data = 4, name = 8, raw_data = 9
 * </pre>
 */
public final class OnnxModel {

    /** A graph node: operator and the names of its inputs and outputs. */
    public record Node(String op, List<String> inputs, List<String> outputs) { }

    /** A float32 initializer. */
    public record Initializer(String name, long[] dims, float[] data) { }

    private static final int FLOAT = 1;

    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Initializer> initializers = new LinkedHashMap<>();
    private final Map<String, Node> producers = new HashMap<>();

    private OnnxModel() {}

    public static OnnxModel read(InputStream in, String what) throws IOException {
        OnnxModel m = new OnnxModel();
        CodedInputStream cis = CodedInputStream.newInstance(in);
        cis.setSizeLimit(Integer.MAX_VALUE);
        boolean sawGraph = false;
        try {
            while (true) {
                int tag = cis.readTag();
                if (tag == 0) break;
                if (WireFormat.getTagFieldNumber(tag) == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int length = cis.readRawVarint32();
                    int old = cis.pushLimit(length);
                    m.readGraph(cis);
                    cis.popLimit(old);
                    sawGraph = true;
                } else {
                    cis.skipField(tag);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException(what + " is not a readable ONNX model: " + e.getMessage(), e);
        }
        if (!sawGraph) throw new IOException(what + " has no graph: not an ONNX model");
        for (Node n : m.nodes) {
            for (String out : n.outputs) m.producers.put(out, n);
        }
        return m;
    }

    private void readGraph(CodedInputStream cis) throws IOException {
        while (!cis.isAtEnd()) {
            int tag = cis.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 || field == 5) {
                int length = cis.readRawVarint32();
                int old = cis.pushLimit(length);
                if (field == 1) nodes.add(readNode(cis));
                else readInitializer(cis);
                cis.popLimit(old);
            } else {
                cis.skipField(tag);
            }
        }
    }

    private static Node readNode(CodedInputStream cis) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String op = "";
        while (!cis.isAtEnd()) {
            int tag = cis.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(cis.readStringRequireUtf8());
                case 2 -> outputs.add(cis.readStringRequireUtf8());
                case 4 -> op = cis.readStringRequireUtf8();
                default -> cis.skipField(tag);
            }
        }
        return new Node(op, inputs, outputs);
    }

    private void readInitializer(CodedInputStream cis) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ByteString raw = null;
        List<Float> floatData = new ArrayList<>();
        while (!cis.isAtEnd()) {
            int tag = cis.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            int wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case 1 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int old = cis.pushLimit(cis.readRawVarint32());
                        while (!cis.isAtEnd()) dims.add(cis.readInt64());
                        cis.popLimit(old);
                    } else {
                        dims.add(cis.readInt64());
                    }
                }
                case 2 -> dataType = cis.readInt32();
                case 4 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int old = cis.pushLimit(cis.readRawVarint32());
                        while (!cis.isAtEnd()) floatData.add(cis.readFloat());
                        cis.popLimit(old);
                    } else {
                        floatData.add(cis.readFloat());
                    }
                }
                case 8 -> name = cis.readStringRequireUtf8();
                case 9 -> raw = cis.readBytes();
                default -> cis.skipField(tag);
            }
        }
        if (dataType != FLOAT) return; // e.g. int64 position ids: not weights
        float[] data;
        if (raw != null) {
            data = new float[raw.size() / 4];
            raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        } else {
            data = new float[floatData.size()];
            for (int i = 0; i < data.length; i++) data[i] = floatData.get(i);
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        initializers.put(name, new Initializer(name, d, data));
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Map<String, Initializer> initializers() {
        return initializers;
    }

    public Initializer initializer(String name) {
        Initializer i = initializers.get(name);
        if (i == null) throw new IllegalArgumentException("ONNX model has no float initializer named " + name);
        return i;
    }

    /**
     * The weight of the linear layer whose bias is the named initializer: follows
     * {@code Add(bias, MatMul(x, W))} back to W (stored {@code [in, out]}, as ffnbench wants).
     */
    public Initializer matMulWeightForBias(String biasName) {
        initializer(biasName);
        for (Node add : nodes) {
            if (!add.op.equals("Add") || !add.inputs.contains(biasName)) continue;
            for (String input : add.inputs) {
                Node producer = producers.get(input);
                if (producer != null && producer.op.equals("MatMul") && producer.inputs.size() == 2) {
                    return initializer(producer.inputs.get(1));
                }
            }
        }
        throw new IllegalArgumentException("ONNX graph has no Add(" + biasName + ", MatMul(x, W)) to find its weight from");
    }
}

package ffnbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ffnbench.Reference;
import org.junit.jupiter.api.Test;

/**
 * Reusing intermediates from row to row ({@link Workspace#reusing()}, what BlockFunction does) must
 * give bit-identical outputs to fresh arrays, in every formulation and placement, through stacked
 * layers, and when the sequence length changes between rows.
 */
class WorkspaceTest {

    @Test
    void reusedBuffersGiveIdenticalOutputsRowAfterRow() {
        for (String preset : new String[] {"bert", "gpt2", "llama", "neox"}) {
            ModelConfig c = TestWeights.small(preset);
            TransformerLayer first = new TransformerLayer(c, TestWeights.random(c, 21));
            TransformerLayer second = new TransformerLayer(c, TestWeights.random(c, 22));
            for (Formulation f : Formulation.values()) {
                if (f == Formulation.PARALLEL_TWO_NORMS && c.placement() != NormPlacement.PRE) continue;
                Workspace ws = Workspace.reusing();
                int[] lengths = {7, 7, 5, 9, 7};   // same length (buffers reused), then shorter and longer rows
                for (int row = 0; row < lengths.length; row++) {
                    int tokens = lengths[row];
                    float[] x = Reference.gaussian(tokens * c.dModel(), 1, 100 + row);
                    float[] expected = second.forward(first.forward(x, tokens, f, SiteRecorder.NONE), tokens, f, SiteRecorder.NONE);
                    float[] h = first.forward(x, tokens, f, SiteRecorder.NONE, new StageTimes(), ws);
                    float[] y = second.forward(h, tokens, f, SiteRecorder.NONE, new StageTimes(), ws);
                    assertNotSame(h, y, "two layers never share a buffer");
                    assertArrayEquals(expected, y, preset + " " + f.id() + " row " + row);
                }
            }
        }
    }

    @Test
    void reusingHandsOutTheSameArrayFreshDoesNot() {
        Object owner = new Object();
        Workspace reusing = Workspace.reusing();
        float[] a = reusing.get(owner, 3, 16);
        assertSame(a, reusing.get(owner, 3, 16));
        assertNotSame(a, reusing.get(owner, 2, 16), "another slot");
        assertNotSame(a, reusing.get(new Object(), 3, 16), "another owner");
        assertEquals(17, reusing.get(owner, 3, 17).length, "a new length gets a new array");
        Workspace fresh = Workspace.fresh();
        assertNotSame(fresh.get(owner, 0, 4), fresh.get(owner, 0, 4));
        assertTrue(reusing.heldFloats() > 0);
        reusing.scopedTo("case A");
        assertEquals(0, reusing.heldFloats(), "moving to another scope drops the old buffers");
    }
}

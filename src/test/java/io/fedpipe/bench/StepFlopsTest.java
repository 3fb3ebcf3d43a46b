package io.fedpipe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.TransformerConfig;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class StepFlopsTest {

    @Test
    void countsOneTinyStepByHand() {
        // d = 4, f = 8, one layer, T = 2, B = 1, rank 1 on q, 2 classes.
        TransformerConfig c = new TransformerConfig(TransformerConfig.Family.BERT, 10, 4, 1, 2, 8, 16, 2, 1e-12);
        LoraConfig lora = LoraConfig.uniform(1, EnumSet.of(LoraTarget.Q), 1, 2f, 0f);
        // Per token: frozen linears 2·(4·4·4 + 2·4·8) = 256; attention 4·T·d = 32; adapter 2·1·(4+4) = 16.
        // Forward 304. Backward: frozen input gradients 256 minus the first block's q, k, v (2·3·16 = 96)
        // = 160, attention 2·32 = 64, adapter 2·16 = 32: 256. Two tokens: 2·560 = 1120.
        // Head: 2·B·d·classes = 16 per pass, times forward, input grad, weight grad = 48.
        assertEquals(1168.0, StepFlops.perStep(c, lora, 1, 2, 2), 1e-9);
    }

    @Test
    void miniLmStepOfTheBenchmarkIs45Gflop() {
        LoraConfig lora = LoraConfig.uniform(6, EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O),
                8, 16f, 0f);
        double flops = StepFlops.perStep(TransformerConfig.miniLmL6(), lora, 16, 64, 26);
        assertEquals(45.3e9, flops, 0.1e9);
    }
}

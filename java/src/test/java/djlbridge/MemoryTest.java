package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import djlbridge.TrainSettings;
import org.junit.Test;

/** Every array a batch creates is freed with it: nothing piles up on any manager over epochs. */
public class MemoryTest {

    private static int count(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }

    @Test
    public void nothingPilesUpAcrossEpochs() throws Exception {
        Engine.getInstance().setRandomSeed(3);
        for (String impl : new String[] {"scratch", "concise"}) {
            for (String kind : new String[] {"gru", "lstm", "rnn"}) {
                try (NDManager m = NDManager.newBaseManager()) {
                    TimeMachineDataset d = TimeMachineDataset.builder()
                            .setManager(m).setMaxTokens(800).setSampling(4, false).setSteps(6)
                            .setDataPath(VocabTest.corpus()).optSeed(1).build();
                    d.prepare();
                    TrainSettings s = TrainSettings.builder().setImpl(impl).setModel(kind)
                            .setNumHiddens(8).setDataPath("unused").build();
                    try (LanguageModel net = s.newModel(d.getVocab().length(), Device.cpu(), m)) {
                        NDManager own = net instanceof RNNModel
                                ? ((RNNModel) net).getManager()
                                : ((RNNModelScratch) net).getManager();
                        if (net instanceof RNNModelScratch) {
                            // what tests outside this package count in place of getManager()
                            assertSame(own, net.getParams().head().getManager());
                        }
                        SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss();
                        TimeMachine.trainEpochCh8(net, d, loss, 1f, 1f, Device.cpu(), false, m);
                        int modelArrays = count(own);
                        int parentArrays = count(m);
                        for (int e = 0; e < 3; e++) {
                            TimeMachine.trainEpochCh8(net, d, loss, 1f, 1f, Device.cpu(), e == 1, m);
                        }
                        TimeMachine.predictCh8("time", 5, net, d.getVocab(), Device.cpu(), m);
                        assertEquals(impl + " " + kind + " model manager", modelArrays, count(own));
                        assertEquals(impl + " " + kind + " parent manager", parentArrays, count(m));
                    }
                }
            }
        }
    }
}

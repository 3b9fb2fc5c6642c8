package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import org.junit.Test;

public class ModelsTest {


    private static void checkForward(LanguageModel net, int states, NDManager m) {
        int batch = 3;
        int steps = 4;
        NDArray x = m.randomInteger(0, 28, new Shape(batch, steps), ai.djl.ndarray.types.DataType.INT32);
        NDList state = net.beginState(batch, Device.cpu());
        state.attach(m);
        assertEquals(states, state.size());
        Pair<NDArray, NDList> out = net.forward(x, state, false);
        assertEquals(new Shape(steps * batch, 28), out.getKey().getShape());
        assertEquals(states, out.getValue().size());
        assertEquals(batch * 16, out.getValue().get(0).size());
    }

    @Test
    public void scratchAndConciseShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (ModelKind kind : ModelKind.values()) {
                int states = kind.getStates();
                try (LanguageModel s = RNNModelScratch.of(kind, 28, 16, Device.cpu(), m);
                        LanguageModel c = RNNModel.of(kind, 28, 16).initialize(m, Device.cpu())) {
                    checkForward(s, states, m);
                    checkForward(c, states, m);
                    assertEquals(3 * kind.getGates() + 2, s.getParams().size());
                    assertEquals(6, c.getParams().size());
                }
            }
        }
    }

    /**
     * RNNModel runs its recurrent layer as one {@code _npx_rnn} call on parameters it joins
     * itself ({@link RnnOperator}): the output, the states and the parameter gradients equal those
     * of DJL's layer.
     */
    @Test
    public void conciseRnnMatchesDjlLayer() {
        for (ModelKind kind : ModelKind.values()) {
            int states = kind.getStates();
            try (NDManager m = NDManager.newBaseManager();
                    RNNModel c = RNNModel.of(kind, 28, 16).initialize(m, Device.cpu())) {
                NDList in = new NDList(m.randomInteger(0, 28, new Shape(5, 3), DataType.INT32)
                        .oneHot(28));
                for (int i = 0; i < states; i++) {
                    in.add(m.randomNormal(new Shape(1, 3, 16)));
                }
                NDList[] results = new NDList[2];
                for (int run = 0; run < 2; run++) {
                    ParameterStore ps = new ParameterStore(m, false);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDList out = run == 0
                                ? c.getRnnLayer().forward(ps, in, true)
                                : new RnnOperator(c.getRnnLayer(), 16).forward(ps, in, true);
                        assertEquals(1 + states, out.size());
                        NDArray loss = out.get(0).square().sum();
                        for (int i = 1; i < out.size(); i++) {
                            loss = loss.add(out.get(i).mul(i + 1).sum());
                        }
                        gc.backward(loss);
                        results[run] = new NDList();
                        for (NDArray o : out) {
                            results[run].add(o.duplicate());
                        }
                        for (int i = 0; i < 4; i++) {
                            results[run].add(c.getParams().get(i).getGradient().duplicate());
                        }
                    }
                }
                for (int i = 0; i < results[0].size(); i++) {
                    assertTrue(kind + " array " + i,
                            results[0].get(i).allClose(results[1].get(i), 1e-5, 1e-7, false));
                }
            }
        }
    }

    @Test
    public void bothImplsLearnAndPredict() throws Exception {
        for (String impl : new String[] {"scratch", "concise"}) {
            TrainSettings s = TrainSettings.builder()
                    .setImpl(impl).setModel("gru").setNumEpochs(6).setNumHiddens(32)
                    .setBatchSize(8).setNumSteps(10).setMaxTokens(2000).setSeed(5)
                    .setDataPath(VocabTest.corpus().toString()).setDevice("cpu").build();
            TrainingResult r;
            try (TrainingSession session = TrainingSession.open(s, null)) {
                session.train(s.getNumEpochs(), null);
                r = session.result();
            }
            double[] ppl = r.getPerplexity();
            assertEquals(6, ppl.length);
            assertTrue(impl + " " + java.util.Arrays.toString(ppl), ppl[5] < ppl[0] * 0.9);
            assertTrue(r.getPredictions().get("time traveller").startsWith("time traveller"));
            assertEquals("cpu()", r.getDevice());
        }
    }

    @Test
    public void divergingLossStopsWithAClearError() throws Exception {
        TrainSettings s = TrainSettings.builder()
                .setNumEpochs(20).setNumHiddens(16).setBatchSize(8).setNumSteps(10)
                .setMaxTokens(1000).setLr(1e30f).setClipTheta(1e30f).setSeed(1)
                .setDataPath(VocabTest.corpus().toString()).setDevice("cpu").build();
        try (TrainingSession session = TrainingSession.open(s, null)) {
            try {
                session.train(s.getNumEpochs(), null);
                throw new AssertionError("expected divergence");
            } catch (TrainingDivergedException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("lower the learning rate"));
                // The diverged epoch never counted: history and last good end at the epoch before.
                assertEquals(e.getEpoch() - 1, session.getEpochsDone());
                assertEquals(e.getEpoch() - 1, session.getLastGoodEpoch());
                for (double p : session.getPerplexity()) {
                    assertTrue(Double.isFinite(p));
                }
            }
        }
    }
}

package djlbridge.threads;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.mxnet.jna.JnaUtils;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import djlbridge.LanguageModel;
import djlbridge.TimeMachine;
import djlbridge.TimeMachineDataset;
import djlbridge.TrainSettings;
import djlbridge.mxnet.OmpThreads;
import djlbridge.training.TrainingSessionTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * {@link ThreadPolicy}'s arithmetic and its reading of the environment, with a scripted machine:
 * each sample adds {@code TICKS} ticks per CPU, of which the other processes' share and ours are
 * set by the test.
 */
public class ThreadPolicyTest {

    private static final long TICKS = 100;
    private static final long SECOND = ThreadPolicy.INTERVAL_NANOS;

    /** A machine of {@code cpus} CPUs whose load the test sets before each step. */
    private static final class Machine implements ThreadEngine {
        final int cpus;
        long total;
        long idle;
        long self;
        long now;
        double others;
        double ours;
        final List<Integer> requests = new ArrayList<>();

        Machine(int cpus) {
            this.cpus = cpus;
        }

        CpuLoad.Sample sample() {
            return new CpuLoad.Sample(total, idle, self);
        }

        /** One second passes with {@code others} CPUs busy elsewhere and {@code ours} here. */
        void second() {
            total += TICKS * cpus;
            idle += Math.round(TICKS * (cpus - others - ours));
            self += Math.round(TICKS * ours);
            now += SECOND;
        }

        ThreadPolicy policy(int ceiling) {
            return new ThreadPolicy(ceiling, cpus, true, this::sample, this, () -> now);
        }

        @Override
        public void request(int threads) {
            requests.add(threads);
        }

        @Override
        public int lastRequested() {
            return requests.isEmpty() ? 0 : requests.get(requests.size() - 1);
        }
    }

    @Test
    public void threadsAreTheFreeCpusRoundedWithinOneAndTheCeiling() {
        assertEquals(2, ThreadCounts.target(0.0, 2, 2));
        assertEquals(2, ThreadCounts.target(0.4, 2, 2)); // light background work: keep both
        assertEquals(1, ThreadCounts.target(0.6, 2, 2));
        assertEquals(1, ThreadCounts.target(1.0, 2, 2)); // one other run of one thread
        assertEquals(1, ThreadCounts.target(2.0, 2, 2)); // never below 1
        assertEquals(6, ThreadCounts.target(2.0, 8, 6)); // never above the start count
        assertEquals(5, ThreadCounts.target(3.2, 8, 8));
    }

    @Test
    public void theFirstBatchGetsTheCountOfTheLoadSinceTheSessionOpened() throws Exception {
        Machine idle = new Machine(2);
        ThreadPolicy p = idle.policy(2); // reads the counters as the session opens
        idle.ours = 1.0; // the corpus read, the model built
        idle.second();
        p.startTraining();
        assertEquals(2, p.getThreads());
        assertTrue("already at the start count", idle.requests.isEmpty());
        Machine busy = new Machine(2);
        ThreadPolicy q = busy.policy(2);
        busy.others = 1.5; // two other runs starting their JVMs
        busy.ours = 0.5;
        busy.second();
        q.startTraining();
        assertEquals(1, q.getThreads());
        assertEquals(List.of(1), busy.requests);
    }

    @Test
    public void lowersAtOnceAndRaisesOnlyWhenTwoSamplesAgree() throws Exception {
        Machine m = new Machine(2);
        ThreadPolicy p = m.policy(2);
        m.second();
        p.startTraining();
        m.ours = 1.0;
        m.others = 1.0;
        m.now += SECOND / 2;
        p.step(); // half a second: no sample yet
        assertEquals(2, p.getThreads());
        m.now -= SECOND / 2;
        m.second();
        p.step();
        assertEquals(1, p.getThreads());
        m.others = 0.0;
        m.second();
        p.step();
        assertEquals("one sample does not raise", 1, p.getThreads());
        m.second();
        p.step();
        assertEquals(2, p.getThreads());
        m.others = 1.0;
        m.second();
        p.step();
        m.others = 0.0;
        m.second();
        p.step();
        m.others = 1.0;
        m.second();
        p.step();
        assertEquals("a raise needs two samples in a row", 1, p.getThreads());
        assertEquals(List.of(1, 2, 1), m.requests);
    }

    @Test
    public void recordsEachEpochAndRestsAtOneThreadAfterACall() throws Exception {
        Machine m = new Machine(4);
        ThreadPolicy p = m.policy(4);
        m.second();
        p.startTraining();
        p.epochEnded();
        p.stopTraining();
        assertEquals("predictions and other work after a call: one thread", 1, p.getThreads());
        assertEquals(List.of(1), m.requests);
        m.second();
        p.startTraining(); // an idle machine: the start count again
        assertEquals(4, p.getThreads());
        p.epochEnded();
        m.others = 2.9; // 1.1 free -> floor(1.6) = 1
        m.ours = 1.0;
        m.second();
        p.step();
        p.epochEnded();
        p.stopTraining(); // already at one thread: nothing to ask
        assertArrayEquals(new int[] {4, 4, 1}, p.getEpochThreads());
        assertEquals(List.of(1, 4, 1), m.requests);
    }

    @Test
    public void aPredictionRunsOnOneThreadAlsoInTheMiddleOfTraining() throws Exception {
        Machine m = new Machine(4);
        ThreadPolicy p = m.policy(4);
        m.second();
        p.startTraining();
        p.beginInference(); // an epoch callback predicts
        p.beginInference();
        assertEquals(1, p.getThreads());
        m.others = 3.0;
        m.second();
        p.step(); // a generated character is a step: the count stays put while predicting
        assertEquals(1, p.getThreads());
        p.endInference();
        assertEquals("nested", 1, p.getThreads());
        p.endInference();
        assertEquals("the training count again", 4, p.getThreads());
        p.stopTraining();
        p.beginInference(); // a prediction after training: at rest already
        p.endInference();
        assertEquals(1, p.getThreads());
        assertEquals(List.of(1, 4, 1), m.requests);
        assertThrows(IllegalStateException.class, p::endInference);
    }

    @Test
    public void anInterruptedStartLeavesThePolicyAtRest() throws Exception {
        Machine m = new Machine(2);
        ThreadPolicy p = m.policy(2); // the first decision waits for a quarter second of load
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, p::startTraining);
        p.beginInference(); // the caller predicts anyway: no train call to hand a count back to
        p.endInference();
        assertEquals(1, p.getThreads());
        assertEquals(List.of(1), m.requests);
    }

    @Test
    public void aPinnedPolicyPredictsWithItsCount() throws Exception {
        Machine m = new Machine(2);
        ThreadPolicy p = ThreadPolicy.of(Map.of("OMP_NUM_THREADS", "2"), 2, true, m::sample, m,
                () -> m.now);
        p.beginInference();
        p.endInference();
        assertEquals(2, p.getThreads());
        assertTrue(m.requests.isEmpty());
    }

    @Test
    public void aPinnedPolicyNeverTouchesTheEngine() throws Exception {
        Machine m = new Machine(2);
        ThreadPolicy p = ThreadPolicy.of(Map.of("OMP_NUM_THREADS", "2"), 2, true, m::sample, m,
                () -> m.now);
        assertFalse(p.isAdaptive());
        m.others = 2.0;
        m.second();
        p.startTraining();
        m.second();
        p.step();
        p.stopTraining();
        assertEquals(2, p.getThreads());
        assertTrue(m.requests.isEmpty());
    }

    @Test
    public void theEnvironmentSaysWhoseCountItIs() {
        Map<String, String> env = new HashMap<>();
        Machine m = new Machine(8);
        env.put(ThreadPolicy.OMP_THREADS_ENV, "8");
        env.put(ThreadPolicy.DEFAULT_THREADS_ENV, "8");
        ThreadPolicy ours = ThreadPolicy.of(env, 8, true, m::sample, m, () -> 0);
        assertTrue(ours.isAdaptive());
        assertEquals(8, ours.getCeiling());
        assertFalse("not where the engine or /proc cannot be reached",
                ThreadPolicy.of(env, 8, false, m::sample, m, () -> 0).isAdaptive());
        env.put(ThreadPolicy.OMP_THREADS_ENV, "3"); // the user changed it: theirs
        ThreadPolicy theirs = ThreadPolicy.of(env, 8, true, m::sample, m, () -> 0);
        assertFalse(theirs.isAdaptive());
        assertEquals(3, theirs.getCeiling());
        env.put(ThreadPolicy.DEFAULT_THREADS_ENV, ""); // --threads 3
        assertFalse(ThreadPolicy.of(env, 8, true, m::sample, m, () -> 0).isAdaptive());
        env.clear(); // plain java without OMP_NUM_THREADS: MXNet's own count adapts
        ThreadPolicy unset = ThreadPolicy.of(env, 8, true, m::sample, m, () -> 0);
        assertTrue(unset.isAdaptive());
        assertTrue(unset.getCeiling() == 4 || unset.getCeiling() == 8);
    }

    @Test
    public void notesOncePerProcessACountAboveTheCpus() {
        Machine m = new Machine(2);
        ThreadPolicy fits = ThreadPolicy.of(Map.of("OMP_NUM_THREADS", "2"), 2, true, m::sample, m,
                () -> 0);
        assertNull(fits.noteOnce());
        ThreadPolicy many = ThreadPolicy.of(Map.of("OMP_NUM_THREADS", "64"), 2, true, m::sample, m,
                () -> 0);
        String note = many.noteOnce();
        // another test of this JVM may have taken the one note
        if (note != null) {
            assertTrue(note, note.startsWith("64 OpenMP threads (--threads or OMP_NUM_THREADS) are "
                    + "more than the 2 CPUs"));
            assertTrue(note, note.contains("pass --threads 2 or fewer"));
        }
        assertNull(many.noteOnce());
    }

    /** One epoch of {@code impl}; before each batch the policy may switch MXNet's threads. */
    private static double oneEpoch(String impl, ThreadPolicy policy) throws Exception {
        TrainSettings s = TrainingSessionTest.tiny(impl).setMaxTokens(300).setNumEpochs(1).build();
        Engine.getInstance().setRandomSeed((int) s.getSeed());
        double ppl;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            TimeMachineDataset data = s.newDataset(manager);
            data.prepare();
            LanguageModel net = s.newModel(data.getVocab().length(), Device.cpu(), manager);
            policy.startTraining();
            ppl = TimeMachine.trainEpochCh8(net, data, new SoftmaxCrossEntropyLoss(), s.getLr(),
                    s.getClipTheta(), Device.cpu(), s.isRandomIter(), manager, policy::step).getKey();
            policy.stopTraining();
            net.close();
        }
        return ppl;
    }

    @Test
    public void switchingThreadsBetweenBatchesTrainsTheSameModel() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        try {
            for (String impl : new String[] {"scratch", "concise"}) {
                OmpThreads.request(cpus); // both runs start with one thread per CPU
                double fixed = oneEpoch(impl, ThreadPolicy.of(Map.of(), cpus, false,
                        () -> null, ThreadEngine.MXNET, () -> 0));
                // every step a second passes and the others' load flips between none and all
                // CPUs: the real engine gets 1 thread, then (two samples later) all again
                long[] t = {0, 0, 0};
                List<Integer> asked = new ArrayList<>();
                ThreadEngine counting = new ThreadEngine() {
                    @Override
                    public void request(int threads) {
                        asked.add(threads);
                        OmpThreads.request(threads);
                    }

                    @Override
                    public int lastRequested() {
                        return OmpThreads.getRequested();
                    }
                };
                ThreadPolicy switching = new ThreadPolicy(cpus, cpus, true, () -> {
                    t[0] += 100L * cpus;
                    t[1] += (t[0] / (100L * cpus)) % 4 < 2 ? 0 : 100L * cpus;
                    return new CpuLoad.Sample(t[0], t[1], 0);
                }, counting, () -> (t[2] += SECOND));
                double switched = oneEpoch(impl, switching);
                assertTrue(impl + ": switched " + asked, cpus < 2 || asked.size() >= 3);
                assertEquals(impl, fixed, switched, 1e-4 * fixed);
            }
        } finally {
            OmpThreads.request(Math.max(1, cpus / 2)); // this JVM's MXNet count (no OMP_NUM_THREADS)
            JnaUtils.waitAll();
        }
    }
}

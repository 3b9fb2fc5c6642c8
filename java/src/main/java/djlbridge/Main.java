package djlbridge;

/**
 * The trainer from plain {@code java}, without Python: {@code java -cp ... djlbridge.Main --data
 * PATH [--model gru] [--impl scratch] [--epochs 500] [--lr 1] [--hidden 256] [--batch-size 32]
 * [--num-steps 35] [--max-tokens 10000] [--seed 42] [--device auto] [--random]}. Prints one line
 * per epoch ("epoch N perplexity P tokens/s S") and the text's summary.
 */
public final class Main {

    private Main() {}

    /**
     * Runs the trainer.
     *
     * @param args the options above
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        TrainSettings.Builder b = TrainSettings.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ("--random".equals(a)) {
                b.setRandomIter(true);
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--data": b.setDataPath(v); break;
                case "--model": b.setModel(v); break;
                case "--impl": b.setImpl(v); break;
                case "--epochs": b.setNumEpochs(Integer.parseInt(v)); break;
                case "--lr": b.setLr(Float.parseFloat(v)); break;
                case "--hidden": b.setNumHiddens(Integer.parseInt(v)); break;
                case "--batch-size": b.setBatchSize(Integer.parseInt(v)); break;
                case "--num-steps": b.setNumSteps(Integer.parseInt(v)); break;
                case "--max-tokens": b.setMaxTokens(Integer.parseInt(v)); break;
                case "--seed": b.setSeed(Long.parseLong(v)); break;
                case "--device": b.setDevice(v); break;
                default: throw new IllegalArgumentException("unknown option " + a);
            }
        }
        TrainingResult r =
                Ch8Runner.run(
                        b.build(),
                        (epoch, ppl, speed) -> {
                            System.out.printf("epoch %d perplexity %.4f tokens/s %.1f%n", epoch, ppl, speed);
                            return true;
                        });
        System.out.println(r);
        for (String prefix : TimeMachine.PREFIXES) {
            System.out.println(r.getPredictions().get(prefix));
        }
    }
}

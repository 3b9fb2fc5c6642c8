package djlbridge.training;

/**
 * What a task calls before every step of its work (a batch, a generated token): the session's
 * per-step hook. While a session trains it checks the stop flag, then lets the thread policy
 * follow the load; while it predicts it checks the stop flag only. A {@link TrainingControl} is
 * one on its own (the stop flag).
 */
@FunctionalInterface
public interface StepCheck {

    /**
     * Called before each step.
     *
     * @throws StopRequestedException when a stop was requested (the step is not taken)
     */
    void check();
}

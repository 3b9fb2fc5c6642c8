package djlbridge.threads;

import djlbridge.mxnet.OmpThreads;

/** Where a {@link ThreadPolicy} sets the count: MXNet's engine, or a test's. */
interface ThreadEngine {

    /** MXNet's engine, through {@link OmpThreads}. */
    ThreadEngine MXNET =
            new ThreadEngine() {
                @Override
                public void request(int threads) {
                    OmpThreads.request(threads);
                }

                @Override
                public int lastRequested() {
                    return OmpThreads.getRequested();
                }
            };

    /**
     * Queues a new count.
     *
     * @param threads the count
     */
    void request(int threads);

    /**
     * Returns the count requested last.
     *
     * @return the count, 0 when never requested
     */
    int lastRequested();
}

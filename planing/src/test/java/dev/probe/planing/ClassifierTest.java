package dev.probe.planing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.probe.proposals.Devices;

/** One seed, one classifier, whatever the Java garbage collector does meanwhile. */
class ClassifierTest {

    @BeforeAll
    static void oneThread() {
        Devices.prepare(1);
    }

    /** n events, 8 features, the signal's shifted a little in some of them, weights between 0.5 and 1.5. */
    private static Classifier.Part part(int n, SplittableRandom r) {
        float[][] x = new float[n][8];
        boolean[] signal = new boolean[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            signal[i] = r.nextBoolean();
            for (int j = 0; j < 8; j++) {
                x[i][j] = (float) (r.nextGaussian() + (signal[i] ? 0.3 * (j % 3) : 0));
            }
            w[i] = 0.5 + r.nextDouble();
        }
        return new Classifier.Part(x, signal, w);
    }

    /**
     * A garbage collection frees the Java memory behind DJL arrays that have been closed, even where
     * PyTorch's autograd still holds them for the backward pass (a scalar of {@code x.maximum(0)});
     * reading it there changed a gradient, and the deep AUC of {@code probe plane} now and then (issue
     * 13). Here collections run back to back while the classifier trains: the scores must be the
     * quiet run's, bit for bit. Before the fix 6 trainings in 6 came out different (and the AUC
     * moved by up to 0.07).
     */
    @Test
    void garbageCollectionsDuringTrainingChangeNoBit() throws InterruptedException {
        SplittableRandom r = new SplittableRandom(7);
        Classifier.Part train = part(800, r);
        Classifier.Part valid = part(400, r);
        Classifier.Part test = part(400, r);
        Settings settings = new Settings(new int[] {16, 16}, 64, 0.01, 0.003, 4, 8, 0, 10);
        double[] quiet = Classifier.train(settings.hidden(), settings.deepRate(), train, valid, test, settings, 5).scores();
        ScheduledExecutorService collector = Executors.newSingleThreadScheduledExecutor();
        collector.scheduleWithFixedDelay(System::gc, 0, 1, TimeUnit.MILLISECONDS);
        try {
            for (int k = 0; k < 2; k++) {
                double[] stormy = Classifier.train(settings.hidden(), settings.deepRate(), train, valid, test, settings, 5).scores();
                assertArrayEquals(quiet, stormy, "training " + k + " under garbage collection");
            }
        } finally {
            collector.shutdownNow();
            collector.awaitTermination(1, TimeUnit.MINUTES);
        }
    }
}

package dev.probe.cli;

import java.io.PrintWriter;
import java.util.Locale;

import dev.probe.runtime.inference.ProgressListener;

/**
 * A progress bar on standard error for long work: it appears once the work has run for a second,
 * redraws at most five times a second, and shows the rate and the time left.
 */
final class ProgressBar implements ProgressListener {

    private static final long DELAY_NANOS = 1_000_000_000L;
    private static final long INTERVAL_NANOS = 200_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String unit;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    ProgressBar(PrintWriter err, String unit) {
        this.err = err;
        this.unit = unit;
    }

    @Override
    public void progress(long done, long total) {
        progress(done, total, "");
    }

    /** Progress with a note after the rate (a training's losses). */
    synchronized void progress(long done, long total, String note) {
        long now = System.nanoTime();
        if (now - start < DELAY_NANOS || (now - lastDraw < INTERVAL_NANOS && done < total)) {
            return;
        }
        lastDraw = now;
        drawn = true;
        double seconds = (now - start) / 1e9;
        double fraction = total == 0 ? 1 : (double) done / total;
        int filled = (int) Math.round(fraction * WIDTH);
        double rate = done / seconds;
        double left = rate > 0 ? (total - done) / rate : Double.NaN;
        err.printf(Locale.ROOT, "\r[%s%s] %3.0f%% %,d/%,d %s  %,.0f %s/s  %s%s left ",
                "#".repeat(filled), ".".repeat(WIDTH - filled), 100 * fraction, done, total, unit, rate, unit, note,
                Double.isNaN(left) ? "?" : formatDuration(left));
        err.flush();
    }

    /** Clears the bar's line, if it was drawn. */
    synchronized void finish() {
        if (drawn) {
            err.print("\r" + " ".repeat(140) + "\r");
            err.flush();
        }
    }

    private static String formatDuration(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, "%.0fs", s);
        }
        return String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, (long) s % 60);
    }
}

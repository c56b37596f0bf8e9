package regionvlp.run;

import java.nio.file.Path;

/**
 * A test-only hook that makes a crash during a checkpoint write reproducible. With the system property
 * {@code regionvlp.test.haltAt=POINT:NAME} (for example {@code before-rename:step-4}), the process prints
 * {@code halted at POINT of NAME} to stderr when writing checkpoint NAME reaches POINT, and then blocks, so
 * that a test can kill it exactly there. Without the property it does nothing. The points:
 *
 * <ul>
 *   <li>{@link #BEFORE_RENAME}: every file of the checkpoint is written and synced in its temporary
 *       folder, which is not yet renamed into place;
 *   <li>{@link #BEFORE_LAST}: the folder is in place, but {@code checkpoints/last} still names the
 *       previous checkpoint.
 * </ul>
 */
final class CrashPoint {
  static final String PROPERTY = "regionvlp.test.haltAt";
  static final String BEFORE_RENAME = "before-rename";
  static final String BEFORE_LAST = "before-last";
  /** A halted process that nobody kills gives up after this long rather than hang a build forever. */
  private static final long MAX_HALT_MILLIS = 300_000;

  private CrashPoint() {}

  static void reached(String point, Path checkpoint) {
    String want = System.getProperty(PROPERTY);
    if (want == null || !want.equals(point + ":" + checkpoint.getFileName())) {
      return;
    }
    System.err.println("halted at " + point + " of " + checkpoint);
    System.err.flush();
    try {
      Thread.sleep(MAX_HALT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new IllegalStateException(PROPERTY + "=" + want + ": halted process was not killed within "
        + MAX_HALT_MILLIS / 1000 + " s");
  }
}

package regionvlp.cli;

import java.io.PrintStream;
import java.util.Locale;

/** Stderr progress: a redrawn line on a terminal, occasional plain lines otherwise (CI logs). */
final class Console {
  private final PrintStream err;
  private final boolean tty;
  private long lastPrint;

  Console(PrintStream err) {
    this.err = err;
    this.tty = System.console() != null && System.getenv("REGIONVLP_NO_PROGRESS") == null;
  }

  /** Reports {@code done} of {@code total}; on a TTY redraws one line, else prints every ~5 s. */
  synchronized void progress(String what, long done, long total) {
    long now = System.nanoTime();
    boolean last = done >= total;
    if (tty) {
      int width = 30;
      int filled = total == 0 ? width : (int) (width * done / total);
      err.print(String.format(Locale.ROOT, "\r%-12s [%s%s] %d/%d", what, "#".repeat(filled),
          " ".repeat(width - filled), done, total));
      if (last) {
        err.println();
      }
      err.flush();
    } else if (last || now - lastPrint > 5_000_000_000L) {
      err.println(String.format(Locale.ROOT, "%s %d/%d", what, done, total));
      lastPrint = now;
    }
  }

  /** Like {@link #progress} on a terminal; nothing otherwise (the log lines already tell the story). */
  void ttyProgress(String what, long done, long total) {
    if (tty) {
      progress(what, done, total);
    }
  }

  /** A log line on stderr (starting on a fresh line if a progress bar is being drawn). */
  synchronized void log(String line) {
    if (tty) {
      err.print("\r\033[K");
    }
    err.println(line);
  }
}

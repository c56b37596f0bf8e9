package regionvlp.run;

import regionvlp.data.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import regionvlp.data.InvalidInputFileException;

/**
 * Where a run or checkpoint came from: enough to reproduce it or to explain why it differs. The platform is
 * recorded because the same seed can give a different model on another CPU or library build (floating
 * point reductions are not associative, and oneDNN picks kernels by CPU).
 *
 * @param gitCommit the source commit, or "unknown" outside a git checkout
 * @param gitDirty whether the work tree had uncommitted changes
 * @param seed the run's seed
 * @param configSha256 hash of the resolved config JSON
 * @param djlVersion DJL API version
 * @param engine the tensor engine and its version
 * @param javaVersion {@code java.version}
 * @param osArch {@code os.arch}
 * @param createdAt ISO-8601 instant
 * @param resumes every {@code train --resume} of the run, oldest first (empty for a run that never stopped)
 */
public record Provenance(String gitCommit, boolean gitDirty, long seed, String configSha256,
    String djlVersion, String engine, String javaVersion, String osArch, String createdAt,
    List<Resume> resumes) {
  public Provenance {
    resumes = resumes == null ? List.of() : List.copyOf(resumes);
  }

  /**
   * One continuation of a run.
   *
   * @param checkpoint the checkpoint it continued from, relative to the run directory
   * @param step the step of that checkpoint
   * @param overrides the {@code --set} overrides given with {@code --resume}
   * @param process the resuming process (its own {@code resumes} is empty)
   */
  public record Resume(String checkpoint, long step, List<String> overrides, Provenance process) {
    public Resume {
      overrides = List.copyOf(overrides);
    }
  }

  /** This record with {@code resume} appended to its history. */
  public Provenance withResume(Resume resume) {
    List<Resume> all = new ArrayList<>(resumes);
    all.add(resume);
    return new Provenance(gitCommit, gitDirty, seed, configSha256, djlVersion, engine, javaVersion, osArch,
        createdAt, all);
  }

  /** Describes this process now. */
  public static Provenance capture(long seed, String resolvedConfigJson) {
    String commit = git("rev-parse", "HEAD");
    String status = git("status", "--porcelain", "--untracked-files=no");
    String engine;
    try {
      ai.djl.engine.Engine e = ai.djl.engine.Engine.getInstance();
      engine = e.getEngineName() + " " + e.getVersion();
    } catch (RuntimeException e) {
      engine = "unavailable";
    }
    return new Provenance(commit == null ? "unknown" : commit.trim(), status != null && !status.isBlank(),
        seed, sha256(resolvedConfigJson), ai.djl.engine.Engine.getDjlVersion(), engine,
        System.getProperty("java.version"), System.getProperty("os.arch"), Instant.now().toString(), List.of());
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 of a file's bytes, streamed (for the files a run or checkpoint was made from). */
  static String sha256(Path file) {
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new regionvlp.data.InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs a git command in the working directory with a short timeout; null when git is unavailable. */
  private static String git(String... args) {
    try {
      String[] cmd = new String[args.length + 1];
      cmd[0] = "git";
      System.arraycopy(args, 0, cmd, 1, args.length);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(false)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return null;
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Writes this record as JSON. */
  public void write(Path file) {
    try {
      AtomicFiles.writeString(file, Json.MAPPER.writeValueAsString(this));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a {@code provenance.json}. */
  public static Provenance read(Path file) {
    try {
      return Json.MAPPER.readValue(file.toFile(), Provenance.class);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read provenance: " + e.getMessage(), e);
    }
  }
}

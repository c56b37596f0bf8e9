package regionvlp.data;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every clip and image under a raw bottom-up-attention feature root, found by walking it (symbolic links
 * followed, hidden entries skipped):
 *
 * <ul>
 *   <li>a folder holding {@code <k>.npz} files is a <b>clip</b> keyed by its path relative to the root
 *       ({@code video7012}, {@code 00001/1234567}, {@code movie/clip}); its frames are checked by {@link
 *       ClipFolder#countFrames} ({@code 0.npz .. (K-1).npz}, no gaps);
 *   <li>any other {@code .npz} file is a one-frame <b>image</b> keyed by its relative path without
 *       {@code .npz} (CC3M's {@code 0000/<id>_1}).
 * </ul>
 *
 * Keys use {@code /} on every platform and are sorted (String order), so a scan is deterministic. A clip
 * folder that breaks the numbering rule is reported in {@link #problems()} instead of failing the scan.
 */
public final class FeatureTree {
  private static final Pattern FRAME_FILE = Pattern.compile("^\\d+\\.npz$");

  /** What a key stands for. */
  public enum Kind {
    CLIP,
    IMAGE
  }

  /** One clip or image: key, kind and K (1 for an image). */
  public record Entry(String key, Kind kind, int numFrames) {}

  /** A folder that looks like a clip but cannot be used, with the reason (naming the path). */
  public record Problem(String key, String reason) {}

  private final Path root;
  private final List<Entry> entries;
  private final List<Problem> problems;

  private FeatureTree(Path root, List<Entry> entries, List<Problem> problems) {
    this.root = root;
    this.entries = List.copyOf(entries);
    this.problems = List.copyOf(problems);
  }

  /**
   * Walks {@code root}.
   *
   * @throws InvalidInputFileException when the root is missing, unreadable, or holds a link cycle
   */
  public static FeatureTree scan(Path root) {
    ClipFolder folder = new ClipFolder(root); // checks the root
    Set<Path> clipDirs = new HashSet<>();
    List<Path> images = new ArrayList<>();
    try {
      Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              String name = file.getFileName().toString();
              if (hidden(file) || !attrs.isRegularFile() || !name.endsWith(".npz")) {
                return FileVisitResult.CONTINUE;
              }
              if (FRAME_FILE.matcher(name).matches()) {
                clipDirs.add(file.getParent());
              } else {
                images.add(file);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof FileSystemLoopException) {
                throw new InvalidInputFileException(file, "symbolic-link cycle in the feature tree");
              }
              throw e;
            }
          });
    } catch (IOException e) {
      throw new InvalidInputFileException(root, "cannot walk the feature tree: " + e.getMessage(), e);
    }
    List<Entry> entries = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    for (Path dir : clipDirs) {
      String key = key(root, dir);
      try {
        entries.add(new Entry(key, Kind.CLIP, folder.countFrames(key)));
      } catch (InvalidInputFileException e) {
        problems.add(new Problem(key, e.getMessage()));
      }
    }
    for (Path file : images) {
      String rel = key(root, file);
      entries.add(new Entry(rel.substring(0, rel.length() - ".npz".length()), Kind.IMAGE, 1));
    }
    entries.sort(Comparator.comparing(Entry::key));
    for (int i = 1; i < entries.size(); i++) {
      if (entries.get(i).key().equals(entries.get(i - 1).key())) {
        String k = entries.get(i).key();
        throw new InvalidInputFileException(root, "key '" + k + "' names both the clip folder " + k
            + "/ and the image " + k + ".npz; rename one of them");
      }
    }
    problems.sort(Comparator.comparing(Problem::key));
    return new FeatureTree(root, entries, problems);
  }

  private static boolean hidden(Path p) {
    return p.getFileName().toString().startsWith(".");
  }

  private static String key(Path root, Path p) {
    List<String> parts = new ArrayList<>();
    for (Path part : root.relativize(p)) {
      parts.add(part.toString());
    }
    return String.join("/", parts);
  }

  public Path root() {
    return root;
  }

  /** Clips and images, sorted by key. */
  public List<Entry> entries() {
    return entries;
  }

  /** Clip folders that break the numbering rule. */
  public List<Problem> problems() {
    return problems;
  }

  /** The file of frame {@code k} of an entry. */
  public Path frameFile(Entry e, int k) {
    Objects.checkIndex(k, e.numFrames());
    Path p = root;
    for (String part : e.key().split("/")) {
      p = p.resolve(part);
    }
    return e.kind() == Kind.CLIP ? p.resolve(k + ".npz") : p.resolveSibling(p.getFileName() + ".npz");
  }
}

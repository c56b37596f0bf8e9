package regionvlp.data.datasets;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dataset readers by name, as {@code --dataset} and the config key {@code data.dataset} name them:
 * {@code msrvtt}, {@code didemo}, {@code msvd}, {@code lsmdc}, {@code webvid}, {@code cc3m}, and
 * {@code folder} for the generic {@code caption<TAB>clip} layout that {@code synth} writes ({@code synthvid}
 * and {@code tsv} are older names of it, kept for existing configs and checkpoints).
 */
public final class Datasets {
  private static final Map<String, DatasetReader> READERS = new LinkedHashMap<>();

  static {
    for (DatasetReader r : List.of(new MsrVttReader(), new TsvReaders.DiDeMo(), new TsvReaders.Msvd(),
        new TsvReaders.Lsmdc(), new TsvReaders.WebVid(), new TsvReaders.Cc3m(), new TsvReaders.Folder("folder"),
        new TsvReaders.Folder("synthvid"), new TsvReaders.Folder("tsv"))) {
      READERS.put(r.name(), r);
    }
  }

  private Datasets() {}

  /** Every accepted name, in documentation order. */
  public static List<String> names() {
    return List.copyOf(READERS.keySet());
  }

  /** True when {@code name} names a reader. */
  public static boolean exists(String name) {
    return name != null && READERS.containsKey(name);
  }

  /**
   * The reader called {@code name}.
   *
   * @throws IllegalArgumentException naming the accepted names when there is none
   */
  public static DatasetReader reader(String name) {
    DatasetReader r = name == null ? null : READERS.get(name);
    if (r == null) {
      throw new IllegalArgumentException("unknown dataset '" + name + "'; expected one of " + names());
    }
    return r;
  }
}

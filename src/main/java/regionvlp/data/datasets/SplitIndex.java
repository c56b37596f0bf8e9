package regionvlp.data.datasets;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import regionvlp.data.ClipSource;
import regionvlp.data.DataFault;
import regionvlp.data.FeatureStore;

/**
 * One split of a dataset as its reader found it: the clips, the captions that query them, and the metadata
 * rows that could not be used. Nothing here has touched a feature file yet; {@link DataCheck} and the
 * feature loaders do that.
 *
 * @param dataset the reader's name ({@code msrvtt}, {@code didemo}, ...)
 * @param split {@code train}, {@code val} or {@code test}
 * @param features the features root the clip sources point into
 * @param metaFiles the metadata files read
 * @param videos distinct clips in the reader's order; a caption's {@link Caption#video()} indexes this list
 * @param captions text queries (training pairs) in the reader's order
 * @param rowFaults metadata rows that could not be used (non-UTF-8, empty caption, malformed), in file order
 * @param protocol how the metadata was read, for the evaluation protocol block: physical lines and records,
 *     the header policy (G12), the caption policy (G15), the split-to-file mapping
 * @param allFramesWhenEqual WebVid's rule: a clip with exactly F frames uses all of them, in both splits
 */
public record SplitIndex(
    String dataset,
    String split,
    Path features,
    List<Path> metaFiles,
    List<Video> videos,
    List<Caption> captions,
    List<DataFault> rowFaults,
    Map<String, Object> protocol,
    boolean allFramesWhenEqual) {

  /**
   * A clip.
   *
   * @param id the clip id as the metadata names it (relative path under the features root for most layouts)
   * @param source where its frame files are
   */
  public record Video(String id, ClipSource source) {
    public Video {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(source, "source");
    }
  }

  /**
   * A caption.
   *
   * @param text the query text
   * @param video index into {@link SplitIndex#videos()}
   * @param where {@code file:line} (or file and key) it came from
   */
  public record Caption(String text, int video, String where) {
    public Caption {
      Objects.requireNonNull(text, "text");
      Objects.requireNonNull(where, "where");
    }
  }

  public SplitIndex {
    Objects.requireNonNull(features, "features");
    metaFiles = List.copyOf(metaFiles);
    videos = List.copyOf(videos);
    captions = List.copyOf(captions);
    rowFaults = List.copyOf(rowFaults);
    protocol = Collections.unmodifiableMap(new LinkedHashMap<>(protocol));
  }

  /**
   * The same split with every clip read from {@code store} instead of the npz tree: a clip's key is its
   * folder relative to {@link #features()} ({@code /}-separated), or for an image its file without {@code
   * .npz} (the fallback file's key when only that one was converted), which is how {@code features convert}
   * keys a tree. A clip the store lacks stays listed and is reported {@code MISSING} when it is opened.
   *
   * @param store the open store; {@link #features()} of the result is its folder
   */
  public SplitIndex withStore(FeatureStore store) {
    List<Video> stored = new ArrayList<>(videos.size());
    for (Video v : videos) {
      stored.add(new Video(v.id(), new ClipSource.Stored(store, storeKey(v.source(), store))));
    }
    return new SplitIndex(dataset, split, store.root(), metaFiles, stored, captions, rowFaults, protocol,
        allFramesWhenEqual);
  }

  private String storeKey(ClipSource source, FeatureStore store) {
    if (source instanceof ClipSource.Stored s) {
      return s.key();
    }
    if (source instanceof ClipSource.SingleImage img) {
      String primary = withoutNpz(relative(img.primary()));
      if (store.indexOf(primary) >= 0 || img.fallback() == null) {
        return primary;
      }
      String fallback = withoutNpz(relative(img.fallback()));
      return store.indexOf(fallback) >= 0 ? fallback : primary;
    }
    return relative(source.location());
  }

  private String relative(Path p) {
    Path rel = p.startsWith(features) ? features.relativize(p) : p;
    List<String> parts = new ArrayList<>();
    rel.forEach(part -> parts.add(part.toString()));
    return String.join("/", parts);
  }

  private static String withoutNpz(String key) {
    return key.endsWith(".npz") ? key.substring(0, key.length() - ".npz".length()) : key;
  }

  /** Collects videos (deduplicated by id, first appearance first), captions and faults. */
  static final class Builder {
    private final String dataset;
    private final String split;
    private final Path features;
    private final List<Path> metaFiles = new ArrayList<>();
    private final Map<String, Integer> index = new LinkedHashMap<>();
    private final List<Video> videos = new ArrayList<>();
    private final List<Caption> captions = new ArrayList<>();
    private final List<DataFault> faults = new ArrayList<>();
    private final Map<String, Object> protocol = new LinkedHashMap<>();
    private boolean allFramesWhenEqual;

    Builder(String dataset, String split, Path features) {
      this.dataset = dataset;
      this.split = split;
      this.features = features;
    }

    Builder meta(Path file) {
      metaFiles.add(file);
      return this;
    }

    Builder note(String key, Object value) {
      protocol.put(key, value);
      return this;
    }

    Builder allFramesWhenEqual() {
      allFramesWhenEqual = true;
      return this;
    }

    /** Adds a caption of clip {@code id}, or an {@code EMPTY_CAPTION} fault when the text is blank. */
    void caption(String id, ClipSource source, String text, String where) {
      if (text.isBlank()) {
        fault(DataFault.Kind.EMPTY_CAPTION, id, where, "expected a caption, found an empty field");
        return;
      }
      Integer v = index.get(id);
      if (v == null) {
        v = videos.size();
        index.put(id, v);
        videos.add(new Video(id, source));
      }
      captions.add(new Caption(text, v, where));
    }

    void fault(DataFault.Kind kind, String id, String where, String reason) {
      faults.add(new DataFault(kind, id, where, reason));
    }

    SplitIndex build() {
      return new SplitIndex(dataset, split, features, metaFiles, videos, captions, faults, protocol, allFramesWhenEqual);
    }
  }
}

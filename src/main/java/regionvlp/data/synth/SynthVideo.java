package regionvlp.data.synth;

import java.util.List;
import java.util.Objects;
import regionvlp.data.FrameFeatures;

/**
 * One generated video, in memory: its semantic spec, its captions and its K frames exactly as they will be written
 * to {@code features/<id>/{k}.npz}.
 *
 * @param id video id, e.g. {@code train_000123}
 * @param split its split
 * @param index its index within the split (before nothing: ids are index-ordered, groups are scattered)
 * @param group its confusable group within the split, or -1 in captions-file mode
 * @param spec salient objects (class, colour, size, motion)
 * @param captions its captions (several for training videos in grammar mode)
 * @param frames the K frames
 */
public record SynthVideo(
    String id, Split split, int index, int group, SynthSpec spec, List<String> captions,
    List<FrameFeatures> frames) {
  public SynthVideo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(spec, "spec");
    captions = List.copyOf(captions);
    frames = List.copyOf(frames);
  }

  /**
   * Row of each salient object (in spec order) in frame {@code k}. Salient objects are identified by their
   * {@code objects_id}: distractors never share a salient class and stuff regions never do either.
   */
  public int[] salientRows(int k) {
    FrameFeatures f = frames.get(k);
    int[] rows = new int[spec.objects().size()];
    for (int i = 0; i < rows.length; i++) {
      long want = spec.objects().get(i).classIndex() + 1L;
      rows[i] = -1;
      for (int r = 0; r < f.numBoxes(); r++) {
        if (f.objectIds()[r] == want) {
          rows[i] = r;
          break;
        }
      }
    }
    return rows;
  }
}

package regionvlp.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads one frame file and checks what the model will rely on, classifying every failure as a {@link
 * DataFault.Kind}: the file is there ({@code MISSING}), parses ({@code CORRUPT}), has the model's feature
 * width ({@code WRONG_DIM}) and holds only finite features, boxes and confidences ({@code NON_FINITE}; a NaN
 * would propagate through the whole batch's loss).
 */
public final class FrameCheck {
  private FrameCheck() {}

  /**
   * Reads and checks a frame file.
   *
   * @param file the {@code .npz}
   * @param featureDim the expected D
   * @throws ClipFaultException naming the file, the kind of fault and what was found
   */
  public static FrameFeatures read(Path file, int featureDim) {
    if (!Files.isRegularFile(file)) {
      throw new ClipFaultException(DataFault.Kind.MISSING, file, "frame file not found", null);
    }
    FrameFeatures frame;
    try {
      frame = BottomUpNpz.read(file);
    } catch (ClipFaultException e) {
      throw e; // already classified (NaN/Inf found while parsing)
    } catch (InvalidInputFileException e) {
      throw new ClipFaultException(DataFault.Kind.CORRUPT, file, e.reason(), e);
    } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
      throw new ClipFaultException(DataFault.Kind.CORRUPT, file, "unreadable: " + e.getMessage(), e);
    }
    check(frame, file, featureDim);
    return frame;
  }

  /**
   * Checks a frame already read.
   *
   * @throws ClipFaultException ({@code WRONG_DIM} or {@code NON_FINITE})
   */
  public static void check(FrameFeatures frame, Path file, int featureDim) {
    if (frame.featureDim() != featureDim) {
      throw new ClipFaultException(DataFault.Kind.WRONG_DIM, file, String.format(Locale.ROOT,
          "expected featureDim %d, found %d (x has shape [%d, %d]); check model.video.featureDim or the"
              + " extractor", featureDim, frame.featureDim(), frame.numBoxes(), frame.featureDim()), null);
    }
    nonFinite(frame.features(), "x", frame.featureDim(), file);
    nonFinite(frame.boxes(), "bbox", 4, file);
    nonFinite(frame.objectConf(), "info['objects_conf']", 1, file);
  }

  private static void nonFinite(float[] values, String key, int rowLength, Path file) {
    int bad = 0;
    int first = -1;
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        if (first < 0) {
          first = i;
        }
        bad++;
      }
    }
    if (bad > 0) {
      throw new ClipFaultException(DataFault.Kind.NON_FINITE, file, String.format(Locale.ROOT,
          "expected finite values in %s, found %d NaN/Inf (first %s at row %d, column %d)", key, bad,
          values[first], first / rowLength, first % rowLength), null);
    }
  }
}

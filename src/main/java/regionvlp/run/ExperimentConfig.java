package regionvlp.run;

import regionvlp.data.DataConfig;
import regionvlp.model.ModelConfig;
import regionvlp.train.LossConfig;
import regionvlp.train.TrainConfig;

/**
 * One experiment, nested as its JSON file is: {@code model} (with {@code video} and {@code text}),
 * {@code data}, {@code train}, {@code loss}. Written resolved into every run directory and checkpoint.
 */
public record ExperimentConfig(ModelConfig model, DataConfig data, TrainConfig train, LossConfig loss) {
  public ExperimentConfig {
    if (model == null || data == null || train == null || loss == null) {
      throw new IllegalArgumentException("config needs all of model, data, train and loss");
    }
    if (data.numFrames() > model.video().maxFrames()) {
      throw new IllegalArgumentException(
          "data.numFrames (" + data.numFrames() + ") exceeds model.video.maxFrames ("
              + model.video().maxFrames() + ")");
    }
    if (data.numRegions() > model.video().numRegions()) {
      throw new IllegalArgumentException(
          "data.numRegions (" + data.numRegions() + ") exceeds model.video.numRegions ("
              + model.video().numRegions() + ")");
    }
  }
}

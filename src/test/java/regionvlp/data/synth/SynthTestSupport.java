package regionvlp.data.synth;

import java.net.URISyntaxException;
import java.nio.file.Path;

final class SynthTestSupport {
  private SynthTestSupport() {}

  static SynthConfig small() {
    return SynthConfig.defaults().withFeatureDim(16).withTrainVideos(40).withValVideos(10).withTestVideos(40)
        .withThreads(1);
  }

  static Path fixture(String name) {
    try {
      return Path.of(SynthTestSupport.class.getResource("/fixtures/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}

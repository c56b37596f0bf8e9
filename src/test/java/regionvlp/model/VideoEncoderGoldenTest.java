package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import regionvlp.run.Json;

/**
 * The region transformer against the ORIGINAL DemoVLP ObjectTransformer (showlab/DemoVLP
 * model/object_transformer.py at fc5a31d, run at reduced sizes by {@code tools/make_video_encoder_fixture.py}
 * under Debian's python3-torch; every parameter random, padded regions in two of the three videos). Our
 * parameters are loaded by their original names, so this also checks the naming that checkpoint loading
 * relies on.
 */
class VideoEncoderGoldenTest {
  static float[] floats(JsonNode n) {
    float[] f = new float[n.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) n.get(i).asDouble();
    }
    return f;
  }

  @Test
  void projectedTokensMatchTheOriginalObjectTransformer() throws Exception {
    JsonNode g;
    try (InputStream in = getClass().getResourceAsStream("/golden/video_encoder.json")) {
      assertThat(in).as("golden/video_encoder.json (run tools/make_video_encoder_fixture.py)").isNotNull();
      g = Json.MAPPER.readTree(in);
    }
    JsonNode s = g.path("sizes");
    int width = s.path("width").asInt();
    int frames = s.path("frames").asInt();
    int regions = s.path("regions").asInt();
    int feat = s.path("featureDim").asInt();
    int videos = s.path("videos").asInt();
    int embed = s.path("embedDim").asInt();
    VideoEncoderConfig vc = new VideoEncoderConfig(feat, width, s.path("depth").asInt(), s.path("heads").asInt(),
        4 * width, frames, regions, 0.02);
    ModelConfig cfg = new ModelConfig(vc, new TextEncoderConfig(10, 4, 1, 1, 4, 4, 3, 0.02,
        TextEncoderConfig.Init.RANDOM, "", TextEncoderConfig.LN_EPS, TextEncoderConfig.Activation.GELU), embed);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg, m, 3)) {
      Set<String> unused = new HashSet<>();
      Set<String> loaded = new HashSet<>();
      Iterator<Map.Entry<String, JsonNode>> it = g.path("state").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String name = VideoEncoder.PREFIX + e.getKey();
        if (!model.params().all().containsKey(name)) {
          unused.add(e.getKey());
          continue;
        }
        JsonNode shape = e.getValue().path("shape");
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
          dims[i] = shape.get(i).asLong();
        }
        model.params().assign(name, floats(e.getValue().path("values")), new Shape(dims));
        loaded.add(name);
      }
      // Only the LayerNorms the original creates but never calls are left over (METHOD.md 2.1, G7).
      assertThat(unused).allMatch(n -> n.equals("norm.weight") || n.equals("norm.bias") || n.contains(".norm3."));
      Set<String> ours = new HashSet<>(model.params().all().keySet());
      ours.removeIf(n -> !n.startsWith(VideoEncoder.PREFIX));
      assertThat(loaded).isEqualTo(ours);

      VideoEmbeddings v = model.encodeVideo(
          m.create(floats(g.path("input")), new Shape(videos, frames, regions, feat + 6)),
          m.create(floats(g.path("mask")), new Shape(videos, frames, regions)));
      float[] out = floats(g.path("output")); // [videos, 1 + frames*regions, embed]
      float[] global = v.global().toFloatArray();
      float[] local = v.local().toFloatArray();
      int tokens = 1 + frames * regions;
      double worst = 0;
      String where = "";
      for (int b = 0; b < videos; b++) {
        for (int t = 0; t < tokens; t++) {
          for (int d = 0; d < embed; d++) {
            float want = out[(b * tokens + t) * embed + d];
            float got = t == 0 ? global[b * embed + d] : local[((b * (tokens - 1)) + t - 1) * embed + d];
            double err = Math.abs(got - want) / Math.max(1.0, Math.abs(want));
            if (err > worst) {
              worst = err;
              where = String.format("video %d token %d dim %d: ours %.7f, original %.7f", b, t, d, got, want);
            }
          }
        }
      }
      assertThat(worst).as("worst relative error at %s", where).isLessThan(1e-5);
      float[] outMask = floats(g.path("outputMask")); // [videos, 1 + frames*regions], additive
      float[] ourMask = v.keyMask().toFloatArray();
      for (int b = 0; b < videos; b++) {
        for (int t = 1; t < tokens; t++) {
          assertThat(ourMask[b * (tokens - 1) + t - 1]).isEqualTo(outMask[b * tokens + t]);
        }
      }
    }
  }
}

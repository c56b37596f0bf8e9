package regionvlp.run;

import regionvlp.model.ModelConfig;
import regionvlp.model.TextEncoderConfig;
import regionvlp.model.VideoEncoderConfig;

/**
 * Analytic matmul FLOPs of one training sample (docs/PERFORMANCE.md, "FLOPs"), counted as the benchmark of
 * the original code counts them (the reference PyTorch benchmark script {@code bench_train.py}, kept outside this repository), so that both MFU figures use the
 * same numerator. Two FLOPs per multiply-add; element-wise work is not counted. With T = F*N + 1 video
 * tokens, width d, MLP width m, S tokens, text width dt, FFN width ft, P the joint width, R = F*N region
 * slots, L = S - 1 word slots and B the batch:
 *
 * <pre>
 *   video  = 2 F N (D+6) d + depth (8 T d^2 + 4 T d m + 4 d (T + F N (N+1))) + 2 T d P
 *   text   = layers (8 S dt^2 + 4 S dt ft + 4 S^2 dt) + 2 S dt P
 *   rwa    = 8 B R L P      (each video meets B captions; per pair and direction a similarity and an
 *                            attended sum, 2 R L P each)
 *   global = 2 B P
 *   train  = 3 forward      (the backward of a matmul costs two matmuls of the same size)
 * </pre>
 *
 * With m = 4d this is the original benchmark's {@code 24 T d^2} per block.
 *
 * @param video the video tower
 * @param text the text tower and its head
 * @param rwa the region-word alignment similarity (0 when the local loss is off)
 * @param global the in-batch cosine matrix
 */
public record ModelFlops(double video, double text, double rwa, double global) {

  /** Forward FLOPs per sample. */
  public double forward() {
    return video + text + rwa + global;
  }

  /** Forward + backward FLOPs per sample (3 x forward). */
  public double train() {
    return 3 * forward();
  }

  /**
   * @param frames F
   * @param regions N, regions per frame
   * @param tokens S, tokens per caption
   * @param batch B (the RWA and global terms grow with it)
   * @param local whether the region-word alignment loss is on
   */
  public static ModelFlops perSample(ModelConfig m, int frames, int regions, int tokens, int batch,
      boolean local) {
    VideoEncoderConfig v = m.video();
    TextEncoderConfig t = m.text();
    double p = m.embedDim();
    double f = frames;
    double n = regions;
    double tok = f * n + 1;
    double d = v.width();
    double video = 2 * f * n * (v.featureDim() + VideoEncoderConfig.BOX_DIM) * d
        + v.depth() * (8 * tok * d * d + 4 * tok * d * v.mlpDim() + 4 * d * (tok + f * n * (n + 1)))
        + 2 * tok * d * p;
    double s = tokens;
    double dt = t.width();
    double text = t.depth() * (8 * s * dt * dt + 4 * s * dt * t.ffnDim() + 4 * s * s * dt) + 2 * s * dt * p;
    double rwa = local ? 8.0 * batch * (f * n) * (s - 1) * p : 0;
    return new ModelFlops(video, text, rwa, 2.0 * batch * p);
  }
}

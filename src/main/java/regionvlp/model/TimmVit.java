package regionvlp.model;

import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.data.StateDict;

/**
 * Initialises the region transformer from a timm Vision Transformer checkpoint, as the paper does with
 * {@code jx_vit_base_p16_224-80ecf9dd.pth} (ViT-B/16, ImageNet-21k pre-trained, 1k fine-tuned; METHOD.md 2.1).
 *
 * <p>The original's {@code load_clip_pt_weight} calls {@code load_state_dict(vit, strict=False)} on the
 * ObjectTransformer, so exactly the names both share are taken: {@code cls_token} and, per block, {@code
 * norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2} (weights and biases). ViT's {@code norm} is loaded there
 * too but never used, so ours has none; {@code pos_embed}, {@code patch_embed} and {@code head} have no
 * counterpart. The box/feature embeddings, {@code custom_pos_embed}, {@code temporal_embed} and the
 * projection keep their own initialisation. Blocks beyond the file's depth keep theirs as well (reported);
 * blocks beyond ours are ignored, as the original's non-strict load ignores them. A width mismatch is an error
 * (the original raises on size mismatches even when not strict).
 *
 * <p>Files: a timm {@code .pth} (zip or legacy torch.save; bare or under {@code state_dict}/{@code model}, a
 * {@code module.} prefix allowed), an {@code .npz} or a {@code .safetensors} with the same names. The JAX
 * {@code .npz} of the original ViT release uses other names ({@code Transformer/encoderblock_0/...}) and is
 * refused with a hint.
 */
public final class TimmVit {
  private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");
  private static final List<String> BLOCK_PARAMS = List.of("norm1.weight", "norm1.bias", "attn.qkv.weight",
      "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight",
      "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias");

  private TimmVit() {}

  /**
   * What was loaded.
   *
   * @param file the checkpoint
   * @param loaded our parameter names that now hold the checkpoint's values
   * @param ignored names in the file with no counterpart in our region transformer
   * @param blocksInFile the file's number of blocks
   * @param blocksLoaded our blocks that now hold the file's (the first ones)
   * @param blocksKept our blocks that kept their own initialisation (beyond the file's depth)
   */
  public record Report(Path file, List<String> loaded, List<String> ignored, int blocksInFile, int blocksLoaded,
      int blocksKept) {
    public Report {
      loaded = List.copyOf(loaded);
      ignored = List.copyOf(ignored);
    }

    /** One line for the log. */
    public String summary() {
      return String.format(Locale.ROOT, "video tower initialised from %s: %d tensors (cls_token and blocks 0..%d of "
          + "the file's %d), %d ignored (%s)%s", file, loaded.size(), blocksLoaded - 1, blocksInFile, ignored.size(),
          String.join(", ", abbreviate(ignored)),
          blocksKept > 0 ? "; " + blocksKept + " of our blocks are deeper than the file and keep their random init"
              : "");
    }

    private static List<String> abbreviate(List<String> names) {
      TreeSet<String> roots = new TreeSet<>();
      for (String n : names) {
        Matcher m = BLOCK.matcher(n);
        roots.add(m.matches() ? "blocks." + m.group(1) + ".*" : n);
      }
      return new ArrayList<>(roots);
    }
  }

  /**
   * Overwrites {@code cls_token} and the transformer blocks of the region transformer in {@code params}.
   *
   * @throws InvalidInputFileException if the file holds no ViT blocks, or their widths differ from ours
   */
  public static Report initVideo(Params params, VideoEncoderConfig cfg, Path file) {
    try (StateDict sd = StateDict.open(file)) {
      return load(sd, params, cfg);
    }
  }

  private static Report load(StateDict sd, Params params, VideoEncoderConfig cfg) {
    Path file = sd.file();
    List<String> names = new ArrayList<>(sd.names());
    if (names.stream().anyMatch(n -> n.startsWith("Transformer/") || n.contains("/encoderblock_"))) {
      throw new InvalidInputFileException(file, "this is the JAX/Flax ViT layout (names such as "
          + "'Transformer/encoderblock_0/...'); convert it to timm's PyTorch names first (timm's "
          + "_load_weights does that) and save the state dict with torch.save");
    }
    String prefix = names.stream().allMatch(n -> n.startsWith("module.")) ? "module." : "";
    TreeSet<Integer> fileBlocks = new TreeSet<>();
    for (String n : names) {
      Matcher m = BLOCK.matcher(n.substring(prefix.length()));
      if (m.matches()) {
        fileBlocks.add(Integer.parseInt(m.group(1)));
      }
    }
    if (fileBlocks.isEmpty() || !names.contains(prefix + "cls_token")) {
      throw new InvalidInputFileException(file, "expected a timm VisionTransformer state dict (cls_token, "
          + "blocks.N.norm1/attn.qkv/attn.proj/norm2/mlp.fc1/mlp.fc2), found " + names.size() + " tensors"
          + (names.isEmpty() ? "" : " such as '" + names.get(0) + "'"));
    }
    List<String> loaded = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    List<String> wanted = new ArrayList<>();
    wanted.add("cls_token");
    for (int i = 0; i < Math.min(cfg.depth(), fileBlocks.size()); i++) {
      for (String p : BLOCK_PARAMS) {
        wanted.add("blocks." + i + "." + p);
      }
    }
    for (String n : names) {
      String bare = n.substring(prefix.length());
      if (!wanted.contains(bare)) {
        ignored.add(n);
      }
    }
    for (String w : wanted) {
      if (!names.contains(prefix + w)) {
        throw new InvalidInputFileException(file, "no tensor '" + prefix + w + "' (the file has blocks "
            + fileBlocks + ")");
      }
    }
    // Check every shape before changing anything, so a wrong file leaves the model as it was.
    List<Safetensors.Tensor> values = new ArrayList<>();
    for (String w : wanted) {
      Safetensors.Tensor t = sd.get(prefix + w);
      String ours = VideoEncoder.PREFIX + w;
      long[] expected = params.get(ours).getShape().getShape();
      if (!Arrays.equals(expected, t.shape())) {
        throw new InvalidInputFileException(file, "tensor '" + prefix + w + "': expected shape "
            + Arrays.toString(expected) + " for " + ours + " (model.video.width " + cfg.width() + ", mlpDim "
            + cfg.mlpDim() + "), found " + Arrays.toString(t.shape()));
      }
      values.add(t);
    }
    for (int i = 0; i < wanted.size(); i++) {
      Safetensors.Tensor t = values.get(i);
      params.assign(VideoEncoder.PREFIX + wanted.get(i), t.values(), new Shape(t.shape()));
      loaded.add(VideoEncoder.PREFIX + wanted.get(i));
    }
    int blocks = Math.min(cfg.depth(), fileBlocks.size());
    return new Report(file, loaded, ignored, fileBlocks.size(), blocks, cfg.depth() - blocks);
  }
}

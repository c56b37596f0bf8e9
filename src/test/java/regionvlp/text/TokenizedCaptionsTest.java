package regionvlp.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenizedCaptionsTest {
  @Test
  void trimmingDropsOnlyThePaddingColumnsNoCaptionUses() {
    // [CLS] a b [SEP] pad pad / [CLS] c [SEP] pad pad pad: the longest caption has 4 real tokens.
    TokenizedCaptions t = new TokenizedCaptions(2, 6,
        new long[] {101, 7, 8, 102, 0, 0, 101, 9, 102, 0, 0, 0},
        new long[] {1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0});
    TokenizedCaptions s = t.trimmed();
    assertThat(s.length()).isEqualTo(4);
    assertThat(s.ids()).containsExactly(101, 7, 8, 102, 101, 9, 102, 0);
    assertThat(s.mask()).containsExactly(1, 1, 1, 1, 1, 1, 1, 0);
  }

  @Test
  void captionsWithoutPaddingAreReturnedAsTheyAre() {
    TokenizedCaptions t = new TokenizedCaptions(1, 3, new long[] {101, 5, 102}, new long[] {1, 1, 1});
    assertThat(t.trimmed()).isSameAs(t);
  }

  @Test
  void paddingBeforeARealTokenIsRefused() {
    TokenizedCaptions t = new TokenizedCaptions(1, 4, new long[] {101, 0, 5, 102}, new long[] {1, 0, 1, 1});
    assertThatThrownBy(t::trimmed).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("caption 0").hasMessageContaining("padding at token 1");
  }
}

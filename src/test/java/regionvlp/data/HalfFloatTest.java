package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The float16 encoder against the decoder, exhaustively: every one of the 65,536 half values must survive
 * float -> half, and every midpoint between two neighbouring halves must round to the one with an even
 * mantissa (IEEE 754 round-to-nearest-even).
 */
class HalfFloatTest {
  @Test
  void everyHalfRoundTripsExactly() {
    for (int h = 0; h < 0x10000; h++) {
      float f = NpyArray.halfToFloat((short) h);
      short back = NpyArray.floatToHalf(f);
      if (Float.isNaN(f)) {
        assertThat(Float.isNaN(NpyArray.halfToFloat(back))).as("NaN %04x", h).isTrue();
      } else {
        assertThat(back & 0xffff).as("half %04x = %s", h, f).isEqualTo(h);
      }
    }
  }

  @Test
  void midpointsRoundToEvenAndNeighboursToTheNearest() {
    for (int h = 0; h < 0x7bff; h++) { // positive finite halves below the largest
      float lo = NpyArray.halfToFloat((short) h);
      float hi = NpyArray.halfToFloat((short) (h + 1));
      double mid = ((double) lo + hi) / 2; // exact in float: halves have 11 significant bits
      int even = (h & 1) == 0 ? h : h + 1;
      assertThat(NpyArray.floatToHalf((float) mid) & 0xffff).as("midpoint above %04x", h).isEqualTo(even);
      assertThat(NpyArray.floatToHalf(Math.nextDown((float) mid)) & 0xffff).as("just below").isEqualTo(h);
      assertThat(NpyArray.floatToHalf(Math.nextUp((float) mid)) & 0xffff).as("just above").isEqualTo(h + 1);
      assertThat(NpyArray.floatToHalf((float) -mid) & 0xffff).as("negative").isEqualTo(even | 0x8000);
    }
  }

  @Test
  void outOfRangeValuesSaturateToInfinityAndTinyOnesToZero() {
    assertThat(NpyArray.floatToHalf(65520f) & 0xffff).isEqualTo(0x7c00); // halfway to 2^16 rounds up to inf
    assertThat(NpyArray.floatToHalf(65519f) & 0xffff).isEqualTo(0x7bff); // 65504, the largest half
    assertThat(NpyArray.floatToHalf(1e10f) & 0xffff).isEqualTo(0x7c00);
    assertThat(NpyArray.floatToHalf(-1e10f) & 0xffff).isEqualTo(0xfc00);
    assertThat(NpyArray.floatToHalf(1e-10f) & 0xffff).isEqualTo(0);
    assertThat(NpyArray.floatToHalf(0x1p-25f) & 0xffff).isEqualTo(0); // half of the smallest subnormal: to even
    assertThat(NpyArray.floatToHalf(Math.nextUp(0x1p-25f)) & 0xffff).isEqualTo(1);
  }
}

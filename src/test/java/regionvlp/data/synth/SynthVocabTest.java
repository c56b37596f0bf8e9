package regionvlp.data.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import regionvlp.data.InvalidInputFileException;

class SynthVocabTest {
  @Test
  void builtInHasSynonymsAndStuff() {
    SynthVocab v = SynthVocab.builtIn();
    assertThat(v.size()).isGreaterThanOrEqualTo(150);
    assertThat(v.classes()).anySatisfy(c -> {
      assertThat(c.name()).isEqualTo("dog");
      assertThat(c.synonyms()).containsExactly("puppy");
    });
    assertThat(v.stuffClass(SynthVocab.STUFF.indexOf("sky"))).isGreaterThanOrEqualTo(0);
    for (int t : v.thingClasses()) {
      assertThat(SynthVocab.STUFF).doesNotContain(v.get(t).name());
    }
  }

  @Test
  void tooSmallVgVocabularyIsRejectedWithCount() {
    // 4 classes (blank line skipped, CRLF and padding accepted) are too few for a corpus
    assertThatThrownBy(() -> SynthVocab.load(SynthTestSupport.fixture("vocab_ok.txt")))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("at least 8 usable object classes, found 4");
  }

  @Test
  void vgFileClassesAndSynonymsAreParsed() throws Exception {
    java.nio.file.Path f = java.nio.file.Files.createTempFile("vocab", ".txt");
    try {
      java.nio.file.Files.writeString(f,
          "yolk\r\n\r\nstop sign,stopsign\r\nman,men\r\n dog , puppy \r\ncat\r\nbike\r\nbus\r\ncar\r\nsky\r\n"
              + "orange\r\ncup\r\n");
      SynthVocab v = SynthVocab.load(f);
      assertThat(v.size()).isEqualTo(11);
      assertThat(v.get(1).name()).isEqualTo("stop sign");
      assertThat(v.get(1).synonyms()).containsExactly("stopsign");
      assertThat(v.get(3).name()).isEqualTo("dog");
      assertThat(v.get(3).synonyms()).containsExactly("puppy");
      assertThat(v.stuffClass(SynthVocab.STUFF.indexOf("sky"))).isEqualTo(8);
      // "orange" collides with a colour word, "sky" is stuff: neither may be a salient object
      List<Integer> things = java.util.Arrays.stream(v.thingClasses()).boxed().toList();
      assertThat(things).doesNotContain(8, 9).contains(0, 1, 2, 3);
      CaptionParser p = new CaptionParser(v);
      assertThat(p.classSet("an orange stop sign and two men")).isEqualTo(Set.of(1, 2));
    } finally {
      java.nio.file.Files.deleteIfExists(f);
    }
  }

  @Test
  void garbageLineIsReportedWithFileAndLine() {
    assertThatThrownBy(() -> SynthVocab.load(SynthTestSupport.fixture("vocab_bad.txt")))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("vocab_bad.txt")
        .hasMessageContaining("line 3")
        .hasMessageContaining(",kitten");
  }

  @Test
  void exactClassNameBeatsAnotherClassPlural() throws Exception {
    java.nio.file.Path f = java.nio.file.Files.createTempFile("vocab", ".txt");
    try {
      java.nio.file.Files.writeString(f, "dog\ndogs\ncat\nbus\ncar\ncup\nbox\nkite\nhat\nfly\n");
      CaptionParser p = new CaptionParser(SynthVocab.load(f));
      assertThat(p.classSet("two dogs")).containsExactly(1);
      assertThat(p.classSet("a dog's cup")).containsExactly(0, 5);
      assertThat(p.classSet("buses and flies")).containsExactly(3, 9);
    } finally {
      java.nio.file.Files.deleteIfExists(f);
    }
  }
}

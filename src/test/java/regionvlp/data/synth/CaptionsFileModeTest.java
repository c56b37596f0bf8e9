package regionvlp.data.synth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CaptionsFileModeTest {
  @Test
  void buildsOneVideoPerUsableCaptionAndCountsSkipped() {
    SynthConfig cfg = SynthTestSupport.small().withTrainVideos(2).withValVideos(0).withTestVideos(2)
        .withCaptionsFile(SynthTestSupport.fixture("captions.tsv"));
    SynthWorld w = new SynthWorld(cfg);
    SynthVocab v = w.vocab();
    assertThat(w.skippedCaptions()).isEqualTo(2);
    assertThat(w.count(Split.TRAIN) + w.count(Split.VAL) + w.count(Split.TEST)).isEqualTo(4);
    assertThat(w.count(Split.TEST)).isEqualTo(2);

    SynthVideo first = w.video(Split.TRAIN, 0);
    assertThat(first.captions()).containsExactly("a red dog runs to the left while a cat stays still");
    SynthObject dog = first.spec().objects().get(0);
    assertThat(v.get(dog.classIndex()).name()).isEqualTo("dog");
    assertThat(dog.colour()).isEqualTo(Colour.RED);
    assertThat(dog.motion()).isEqualTo(Motion.LEFT);
    SynthObject cat = first.spec().objects().get(1);
    assertThat(v.get(cat.classIndex()).name()).isEqualTo("cat");
    assertThat(cat.motion()).isEqualTo(Motion.STILL);

    SynthVideo second = w.video(Split.TRAIN, 1);
    assertThat(second.captions()).containsExactly("Two Dogs and a blue Bike go right");
    List<String> names = second.spec().objects().stream().map(o -> v.get(o.classIndex()).name()).toList();
    assertThat(names).containsExactly("dog", "bicycle");
    assertThat(second.spec().objects().get(1).colour()).isEqualTo(Colour.BLUE);
    assertThat(second.spec().objects().get(1).motion()).isEqualTo(Motion.RIGHT);

    SynthVideo third = w.video(Split.TEST, 0);
    List<String> n3 = third.spec().objects().stream().map(o -> v.get(o.classIndex()).name()).toList();
    assertThat(n3).containsExactly("teddy bear", "car");
    assertThat(third.spec().objects().get(0).size()).isEqualTo(Size.SMALL);
    assertThat(third.spec().objects().get(0).colour()).isEqualTo(Colour.GREEN);
    assertThat(third.spec().objects().get(0).motion()).isEqualTo(Motion.GROWING);
    assertThat(third.spec().objects().get(1).motion()).isEqualTo(Motion.UP);
    assertThat(third.group()).isEqualTo(-1);
    // salient boxes are rendered for the named objects
    assertThat(third.salientRows(0)).doesNotContain(-1);
    assertThat(w.video(Split.TEST, 1).captions()).containsExactly("some puppies play");
  }
}

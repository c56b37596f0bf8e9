/**
 * SynthVid, the embedded default corpus: videos of salient objects (class, colour, size, motion) among
 * recurring "stuff" and flickering distractor boxes, written in the real bottom-up-attention layout, with
 * captions from a grammar. Test videos come in confusable groups (same classes, different binding or
 * motion), and {@link regionvlp.data.synth.BagOfObjectsOracle} measures how far a model that only knows
 * which objects are present can get.
 */
package regionvlp.data.synth;

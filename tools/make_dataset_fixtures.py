#!/usr/bin/env python3
"""Small metadata fixtures in every DemoVLP layout, and what the ORIGINAL loaders make of them.

Writes src/test/resources/datasets/<dataset>/... in the released file names and formats (METHOD.md 1.3):
DiDeMo and MSVD TSVs, WebVid and CC3M TSVs, LSMDC CSVs, and Frozen-in-Time's MSR-VTT layout (MSR_VTT.json,
the jsfusion lists and the pickled 1k-A caption index). The files are written by hand below (quoted multi-line
captions, quotes inside captions, blank lines, a sort-order trap for MSR-VTT ids) and then read by the original
dataset classes of showlab/DemoVLP (data_loader/*_dataset.py, from the checkout named by DEMOVLP_SRC, never
copied here): their _load_metadata (pandas read_csv, header inference included), _get_caption and
_get_object_path give, for every item, the caption text and the relative feature path. These go to
src/test/resources/datasets/expected.json, the golden values of the Java readers' tests.

Needs pandas (Debian python3-pandas 1.5.3), numpy and torch (python3-torch); cv2, msgpack, humanize, einops,
ipdb and timm come from tools/stubs (imported at module level, never called on these paths).

    DEMOVLP_SRC=/path/to/DemoVLP /usr/bin/python3 tools/make_dataset_fixtures.py
"""
import json
import os
import pickle
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stubs"))

from demovlp_src import source_commit, source_file  # noqa: E402

SEED = 5
OUT = os.path.abspath(os.path.join(HERE, "..", "src", "test", "resources", "datasets"))

FILES = {
    "didemo/meta_data/DiDeMo_train.tsv":
        "a dog runs., the dog jumps, \t100@N00_1_aa.mp4\n"
        "a cat sleeps., \t101@N00_2_bb.m4v\n"
        "\"kids play\n, they run, \"\t102@N00_3_cc.mp4\n"
        "two people talk, \t103@N00_4_dd.mp4\n",
    # 5 records on 7 physical lines: a quoted caption with a line break, a blank line, quotes inside a caption.
    "didemo/meta_data/DiDeMo_test.tsv":
        "the lighter chick runs., camera zooms out, \t200@N08_10_ee.mp4\n"
        "\"a man undoes the screws\n, the man opens the lid, \"\t201@N08_11_ff.mp4\n"
        "swimmers dive., \t202@N08_12_gg.mp4\n"
        "\n"
        "a man says \"hi\" to the camera, \t203@N08_13_hh.mp4\n"
        "\"the birds \"\"land\"\", they swim, \"\t204@N08_14_ii.mp4\n",
    "msvd/meta_data/MSVD_train.tsv":
        "a squirrel eats, a squirrel is eating a nut, \t-4wsuPCjDBc_5_15\n"
        "a man, who is tall, walks, a person walks, \tabc_DEF-12_1_9\n"
        "a cat plays, \tzzz_3_7\n",
    "msvd/meta_data/MSVD_test.tsv":
        "a boy plays with a dog, a dog gives a high five, a man plays patacake, \teyhzdC936uk_15_27\n"
        "a woman slices an onion, someone cuts vegetables, \tbQJQGoJF7_k_162_169\n"
        "a man, a woman and a child dance, people dance, \tqqq_1_2\n"
        "kids run, \tppp_0_4\n",
    "webvid/meta_data/webvid_validation_success_full.tsv":
        "Travel blogger on a mountain. young man holds camera.\t027701_027750/1053841541\n"
        "\"Time-lapse of white hyacinth flowers blooming. \n\"\t062201_062250/8874712\n"
        "City traffic lights. blurred view\t022401_022450/1019039938\n"
        "Horse grazing - green screen\t054101_054150/5641526\n",
    "webvid/meta_data/webvid_training_success_full.tsv":
        "A newly married couple kisses on stairs. 4k.\t026351_026400/11218115\n"
        "Wheat field under a blue sky\t015151_015200/4831745\n"
        "\"A rotating pandoro (an italian sweet bread) being eaten.\n\"\t195501_195550/1007078764\n",
    "cc3m/meta_data/cc3m_training_success_full.tsv":
        "author : a life in photography -- in pictures\t0_1595581236\n"
        "the player staring intently at a computer screen .\t15123_2841214833\n"
        "globes : the green 3d person carrying globe\t1234567_2703412885\n"
        "actor attends the premiere\t999_1111\n",
    "cc3m/meta_data/cc3m_validation_success_full.tsv":
        "a view of the city\t3_3\n"
        "a red car parked\t12741_77\n",
    "lsmdc/meta_data/LSMDC16_annos_training.csv":
        "0001_American_Beauty_00.00.51.926-00.00.54.129\t00.00.51.926\t00.00.54.129\t00.00.51.926\t00.00.54.129\t"
        "SOMEONE walks into the kitchen.\n"
        "0001_American_Beauty_00.00.56.000-00.00.58.500\t00.00.56.000\t00.00.58.500\t00.00.56.000\t00.00.58.500\t"
        "He opens the fridge.\n"
        "1004_Juno_01.02.03.000-01.02.05.000\t01.02.03.000\t01.02.05.000\t01.02.03.000\t01.02.05.000\t"
        "SOMEONE drinks juice.\n",
    "lsmdc/meta_data/LSMDC16_challenge_1000_publictect.csv":
        "3001_21_JUMP_STREET_00.00.27.439-00.00.28.970\t00.00.27.439\t00.00.28.970\t00.00.27.439\t00.00.28.970\t"
        "SOMEONE looks up.\n"
        "3002_30_MINUTES_OR_LESS_00.01.02.000-00.01.04.000\t00.01.02.000\t00.01.04.000\t00.01.02.000\t"
        "00.01.04.000\tA car speeds away.\n"
        "3034_IDES_OF_MARCH_00.00.10.000-00.00.12.500\t00.00.10.000\t00.00.12.500\t00.00.10.000\t00.00.12.500\t"
        "SOMEONE smiles, then leaves.\n",
    # Headerless lists, one id per line; video10 sorts before video2 (pandas groupby sorts the ids as strings).
    "msrvtt/high-quality/structured-symlinks/train_list_jsfusion.txt": "video2\nvideo10\nvideo0\nvideo1\n",
    "msrvtt/high-quality/structured-symlinks/val_list_jsfusion.txt": "video4\nvideo5\nvideo3\n",
}

# The data-check fixture (generic folder layout): clips c00..c17 (their frame files are written by the tests,
# with faults planted in c12..c17), then a caption that is not UTF-8 (Latin-1 bytes) and an empty caption.
WORDS = ["red", "blue", "green", "small", "large", "round", "square", "fast", "slow"]
FAULTY = b"".join(
    ("a %s %s object moves in clip %d\tc%02d\n" % (WORDS[i % 9], WORDS[(i * 4 + 3) % 9], i, i)).encode("ascii")
    for i in range(18)) + b"a caf\xe9 scene\tc18\n" + b"\tc19\n"

MSRVTT_CAPTIONS = [
    ("video0", "a man is singing"), ("video1", "a cartoon dog runs"), ("video0", "someone sings on stage"),
    ("video2", "a car drives fast"), ("video10", "people cook pasta"), ("video3", "a woman talks"),
    ("video4", "a cat jumps on a table"), ("video3", "a lady speaks to the camera"), ("video4", "a kitten leaps"),
    ("video5", "a band plays music"), ("video4", "a cat plays"), ("video5", "musicians perform"),
    ("video1", "an animated puppy"), ("video10", "a chef makes noodles"), ("video2", "a race car"),
    ("video6", "not in any list"),
]
MSRVTT_INDEX = {"video3": 1, "video4": 2, "video5": 0}


def write_fixtures():
    for rel, text in FILES.items():
        path = os.path.join(OUT, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    os.makedirs(os.path.join(OUT, "faulty"), exist_ok=True)
    with open(os.path.join(OUT, "faulty", "captions.tsv"), "wb") as f:
        f.write(FAULTY)
    ann = os.path.join(OUT, "msrvtt", "annotation")
    os.makedirs(ann, exist_ok=True)
    with open(os.path.join(ann, "MSR_VTT.json"), "w", encoding="utf-8") as f:
        json.dump({"info": {"note": "regionvlp test fixture"},
                   "images": [{"id": v} for v in sorted({v for v, _ in MSRVTT_CAPTIONS})],
                   "annotations": [{"caption": c, "id": i, "image_id": v}
                                   for i, (v, c) in enumerate(MSRVTT_CAPTIONS)]}, f, indent=1)
    with open(os.path.join(OUT, "msrvtt", "high-quality", "structured-symlinks", "jsfusion_val_caption_idx.pkl"),
              "wb") as f:
        pickle.dump(MSRVTT_INDEX, f, protocol=4)


def original_items(module_file, class_name, split, meta_root, data_dir=None, metadata_dir=None, cut=None):
    """Runs the original class's metadata code; returns [[caption or captions, relative feature path], ...]."""
    src = os.environ["DEMOVLP_SRC"]
    if src not in sys.path:
        sys.path.insert(0, src)
    import importlib
    mod = importlib.import_module("data_loader." + module_file)
    cls = getattr(mod, class_name)
    cwd = os.getcwd()
    os.chdir(meta_root)  # the TSV readers open './meta_data/...'
    try:
        ds = cls("fixture", {}, {"num_frames": 8, "object_num": 30}, data_dir or meta_root, "OBJ",
                 metadata_dir=metadata_dir, split=split, cut=cut)
    finally:
        os.chdir(cwd)
    items = []
    for i in range(len(ds.metadata)):
        sample = ds.metadata.iloc[i]
        rel = ds._get_object_path(sample)[0]
        if class_name.startswith("MSRVTT") and split == "train":
            caption = list(sample["captions"])  # training draws one of them at random
        else:
            caption = ds._get_caption(sample)
        items.append([caption, rel])
    header = None if class_name.startswith("MSRVTT") else [str(c) for c in ds.metadata.columns]
    return {"items": items, "pandasHeader": header}


def frame_sampling():
    """The original _sample_objects (base/base_dataset.py) on a grid of (K, F): the uniform indices, and for
    'rand' the range random.choice draws from in each segment (random.choice is replaced by a recorder)."""
    src = os.environ["DEMOVLP_SRC"]
    if src not in sys.path:
        sys.path.insert(0, src)
    import importlib
    base = importlib.import_module("base.base_dataset")
    cases = []
    real_choice = base.random.choice
    base.random.choice = lambda r: [r.start, r.stop - 1]  # inclusive bounds; empty when stop - 1 < start
    try:
        for k in list(range(1, 41)) + [64, 100]:
            for f in (1, 2, 3, 4, 5, 7, 8, 16, 22):
                uniform = [int(i) for i in base.TextObjectDataset._sample_objects(None, f, k, sample="uniform")]
                rand = [[int(a), int(b)] for a, b in base.TextObjectDataset._sample_objects(None, f, k, sample="rand")]
                cases.append({"K": k, "F": f, "uniform": uniform, "randRanges": rand})
    finally:
        base.random.choice = real_choice
    return cases


def main():
    source_file("data_loader/DiDeMo_dataset.py")
    random.seed(SEED)
    write_fixtures()
    expected = {
        "generator": "tools/make_dataset_fixtures.py",
        "reference": "showlab/DemoVLP data_loader/*_dataset.py _load_metadata/_get_caption/_get_object_path",
        "sourceCommit": source_commit(),
        "pandas": __import__("pandas").__version__,
        "seed": SEED,
    }
    d = os.path.join(OUT, "didemo")
    expected["didemo"] = {s: original_items("DiDeMo_dataset", "DiDeMoObjectSelect", s, d) for s in ("train", "test")}
    d = os.path.join(OUT, "msvd")
    expected["msvd"] = {s: original_items("MSVD_dataset", "MSVDObjectSelect", s, d) for s in ("train", "test")}
    d = os.path.join(OUT, "webvid")
    expected["webvid"] = {s: original_items("WebVid_dataset", "WebVidObjectSelect", s, d) for s in ("train", "val")}
    d = os.path.join(OUT, "cc3m")
    expected["cc3m"] = {s: original_items("ConceptualCaptions_dataset", "ConceptualCaptions3MObjectSelect", s, d)
                        for s in ("train", "val")}
    d = os.path.join(OUT, "lsmdc")
    expected["lsmdc"] = {s: original_items("LSMDC_dataset", "LSMDCObjectSelect", s, d, data_dir=d)
                         for s in ("train", "test")}
    d = os.path.join(OUT, "msrvtt")
    expected["msrvtt"] = {s: original_items("MSRVTT_dataset", "MSRVTTObjectSelect", s, d, metadata_dir=d,
                                            cut="jsfusion") for s in ("train", "test")}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    golden = os.path.join(OUT, "..", "golden", "frame_sampling.json")
    with open(golden, "w", encoding="utf-8") as f:
        json.dump({"generator": "tools/make_dataset_fixtures.py",
                   "reference": "showlab/DemoVLP base/base_dataset.py TextObjectDataset._sample_objects",
                   "sourceCommit": expected["sourceCommit"],
                   "randRanges": "inclusive [lo, hi] that random.choice(range(b_i, b_{i+1} - 1)) draws from;"
                                 " hi < lo means an empty range (the original raises)",
                   "cases": frame_sampling()}, f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()

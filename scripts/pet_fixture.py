#!/usr/bin/env python3
"""Small stand-ins for the seed's Pet/MobileNetV2 scenario, made locally (no downloads).

  pet_fixture.py images DIR [PER_BREED]   Oxford-IIIT Pet layout: DIR/images/<Breed>_<n>.jpg and
                                           DIR/annotations/list.txt ("<image> <class 1-37> <species 1-2> <breed id>"),
                                           synthetic JPEGs (a tinted gradient per breed); needs Pillow
  pet_fixture.py model PATH.h5 DIR        MobileNetV2 (keras) with Kenning's wrapper names: input "input_1" [224, 224, 3],
                                           output "out_layer" [37] (softmax); random convolutions (seed 0), BatchNorm
                                           statistics and the head fitted on DIR's images; needs TensorFlow and Pillow
"""
import os
import sys

import numpy as np

CATS = ["Abyssinian", "Bengal", "Birman", "Bombay", "British_Shorthair", "Egyptian_Mau", "Maine_Coon", "Persian", "Ragdoll",
        "Russian_Blue", "Siamese", "Sphynx"]
DOGS = ["american_bulldog", "american_pit_bull_terrier", "basset_hound", "beagle", "boxer", "chihuahua", "english_cocker_spaniel",
        "english_setter", "german_shorthaired", "great_pyrenees", "havanese", "japanese_chin", "keeshond", "leonberger",
        "miniature_pinscher", "newfoundland", "pomeranian", "pug", "saint_bernard", "samoyed", "scottish_terrier", "shiba_inu",
        "staffordshire_bull_terrier", "wheaten_terrier", "yorkshire_terrier"]


def images(root, per_breed=5):
    from PIL import Image
    breeds = sorted(CATS + DOGS, key=str.lower)      # the data set's class ids follow this order
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    os.makedirs(os.path.join(root, "annotations"), exist_ok=True)
    rng = np.random.default_rng(0)
    lines = ["#Image CLASS-ID SPECIES BREED ID", "#ID: 1:37 Class ids", "#SPECIES: 1:Cat 2:Dog", "#BREED ID: 1-12:Cat 1-25:Dog"]
    counters = {1: 0, 2: 0}
    for cid, breed in enumerate(breeds, start=1):
        species = 1 if breed in CATS else 2
        counters[species] += 1
        tint = rng.integers(40, 255, size=3)
        for n in range(1, per_breed + 1):
            h, w = 96 + 8 * n, 128 - 8 * n
            yy, xx = np.mgrid[0:h, 0:w]
            base = (xx[..., None] * tint / w + yy[..., None] * (255 - tint) / h) / 2
            img = np.clip(base + rng.normal(0, 12, size=(h, w, 3)), 0, 255).astype(np.uint8)
            name = f"{breed}_{n}"
            Image.fromarray(img).save(os.path.join(root, "images", name + ".jpg"), quality=90)
            lines.append(f"{name} {cid} {species} {counters[species]}")
    with open(os.path.join(root, "annotations", "list.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(breeds) * per_breed} images to {root}")


def load_images(root):
    """The fixture's images as the wrappers see them: RGB, bilinear 224x224, /255, ImageNet mean/std; and labels."""
    from PIL import Image
    xs, ys = [], []
    for line in open(os.path.join(root, "annotations", "list.txt")):
        if line.startswith("#") or not line.strip():
            continue
        name, cid = line.split()[:2]
        img = Image.open(os.path.join(root, "images", name + ".jpg")).convert("RGB").resize((224, 224), Image.BILINEAR)
        xs.append((np.asarray(img, np.float32) / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225])
        ys.append(int(cid) - 1)
    return np.stack(xs).astype(np.float32), np.array(ys)


def model(path, root):
    """Random convolution weights (seed 0) with BatchNorm statistics set from the fixture (else activations vanish),
    and the 37-way head fitted on the fixture's pooled features: outputs vary, and accuracy shows whether pipelines agree."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(224, 224, 3), name="input_1")
    base = keras.applications.MobileNetV2(input_tensor=inp, include_top=False, weights=None, pooling="avg")
    x, y = load_images(root)
    bns = [l for l in base.layers if isinstance(l, keras.layers.BatchNormalization)]
    for l in bns:
        l.momentum = 0.0
    base(x, training=True)          # moving mean/variance := this batch's statistics
    for l in bns:
        l.momentum = 0.99
    feats = base.predict(x, verbose=0)
    feats_in = keras.Input(shape=feats.shape[1:])
    head = keras.layers.Dense(37, activation="softmax", name="out_layer")
    probe = keras.Model(feats_in, head(feats_in))
    probe.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probe.fit((feats - feats.mean(0)) / (feats.std(0) + 1e-6), y, epochs=200, verbose=0)
    # Fold the feature standardization into the head's weights.
    w, b = head.get_weights()
    scale = 1 / (feats.std(0) + 1e-6)
    w2, b2 = w * scale[:, None], b - (feats.mean(0) * scale) @ w
    out = keras.layers.Dense(37, activation="softmax", name="out_layer")(base.output)
    m = keras.Model(inp, out)
    m.get_layer("out_layer").set_weights([w2, b2])
    acc = float((m.predict(x, verbose=0).argmax(1) == y).mean())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    m.save(path)
    print(f"wrote {path} (accuracy on the fixture {acc:.3f})")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "images":
        images(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    elif len(sys.argv) == 4 and sys.argv[1] == "model":
        model(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)

#!/usr/bin/env python3
"""Real images in the layouts the image datasets read (no downloads; scikit-image ships the photographs):

  OUT/image-folder/digits/<0…9>/<n>.png   the repository's digits test split (359 real handwritten digits, DigitsDataset's
                                           split) as 8×8 grey PNGs, pixel = value × 15 (so input_std 240 gives the CNN
                                           exactly the values DigitsDataset gives it)
  OUT/image-folder/photos/<class>/…       scikit-image's photographs and textures in three classes, as JPEG, PNG, BMP,
                                           WebP, PGM and GIF, in their own sizes, grey and colour
  OUT/imagenet/images/…, labels.json      photographs in Kenning's ImageNet layout, with their ImageNet class ids
  OUT/coco/val2017/…, annotations/instances_val2017.json
                                           photographs in Kenning's COCO layout with NudeNet's 18 categories (the YOLOv8
                                           detector scripts/make-model-families.py takes from the nudenet wheel) and face
                                           boxes written here by hand; the other photographs have no boxes; the same
                                           again as dataset_type faces2017 with one category, "face"
  OUT/imagenet/kenning-<type>.npy         Kenning's ImageNetDataset.prepare_input_samples for each preprocess_type
                                           (Pillow resize to 224 × 224, then caffe / tf / torch / none), NHWC, in the
                                           order of labels.json's sorted file names
Usage: image_fixtures.py OUT
"""
import json
import pathlib
import sys

import numpy as np
from PIL import Image
from skimage import data

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import digits_split  # noqa: E402


def digits(out):
    records = pathlib.Path(digits_split.DEFAULT_DATA).read_bytes()
    labels = digits_split.read_labels()
    _, test = digits_split.split(labels, digits_split.DEFAULT_TEST_FRACTION, digits_split.DEFAULT_SEED)
    for i in test:
        pixels = np.frombuffer(records, np.uint8, 64, i * digits_split.RECORD_BYTES + 1).reshape(8, 8)
        folder = out / str(labels[i])
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((pixels.astype(np.uint16) * 15).astype(np.uint8), "L").save(folder / f"{i:04d}.png")
    return len(test)


PHOTOS = {
    "scenes": [("astronaut", "jpg"), ("coffee", "png"), ("rocket", "bmp"), ("chelsea", "webp"), ("hubble_deep_field", "jpg"),
               ("logo", "png")],
    "textures": [("brick", "pgm"), ("grass", "png"), ("gravel", "jpg"), ("cell", "bmp"), ("coins", "gif")],
    "documents": [("page", "png"), ("text", "pgm"), ("camera", "jpg"), ("moon", "webp"), ("horse", "png")],
}


def as_image(array):
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype != np.uint8:
        a = (255 * (a - a.min()) / max(1e-9, a.max() - a.min())).astype(np.uint8)
    return Image.fromarray(a)


def photos(out):
    count = 0
    for cls, items in PHOTOS.items():
        folder = out / cls
        folder.mkdir(parents=True, exist_ok=True)
        for name, ext in items:
            img = as_image(getattr(data, name)())
            if ext == "pgm" or ext == "gif":
                img = img.convert("L")
            img.save(folder / f"{name}.{ext}")
            count += 1
    return count


IMAGENET = {"chelsea.JPEG": ("chelsea", 285), "coffee.JPEG": ("coffee", 967), "rocket.JPEG": ("rocket", 812),
            "astronaut.png": ("astronaut", 834), "camera.png": ("camera", 759), "coins.JPEG": ("coins", 425)}


def kenning_samples(paths, preprocess_type):
    """Kenning 0.8's ImageNetDataset.prepare_input_samples, step for step (NHWC)."""
    result = []
    for path in paths:
        img = Image.open(path).convert("RGB").resize((224, 224))
        x = np.array(img).astype(np.float32)
        if preprocess_type == "caffe":
            x = x[:, :, ::-1]
        if preprocess_type == "tf":
            x /= 127.5
            x -= 1.0
        elif preprocess_type == "torch":
            x /= 255.0
            x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
        elif preprocess_type == "caffe":
            x -= np.array([103.939, 116.779, 123.68], np.float32)
        result.append(x)
    return np.array(result, np.float32)


def imagenet(out):
    (out / "images").mkdir(parents=True, exist_ok=True)
    labels = {}
    for file, (name, cls) in IMAGENET.items():
        as_image(getattr(data, name)()).convert("RGB").save(out / "images" / file, quality=92) if file.endswith("JPEG") \
            else as_image(getattr(data, name)()).save(out / "images" / file)
        labels[file] = cls
    (out / "labels.json").write_text(json.dumps(labels, indent=2))
    paths = [out / "images" / f for f in sorted(labels)]
    for t in ["caffe", "tf", "torch", "none"]:
        np.save(out / f"kenning-{t}.npy", kenning_samples(paths, t))
    return len(labels)


NUDENET = ["FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED",
           "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED", "BELLY_COVERED", "FEET_COVERED", "ARMPITS_COVERED",
           "ARMPITS_EXPOSED", "FACE_MALE", "BELLY_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_COVERED", "FEMALE_BREAST_COVERED",
           "BUTTOCKS_COVERED"]
# [x, y, width, height] in the photograph's pixels, read off the photographs with a 50-pixel grid drawn on them.
COCO_BOXES = {"astronaut": [("FACE_FEMALE", [178, 65, 94, 115])], "camera": [("FACE_MALE", [180, 95, 85, 100])],
              "coffee": [], "chelsea": [], "rocket": []}


def coco(out):
    (out / "val2017").mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(parents=True, exist_ok=True)
    images, anns = [], []
    for k, (name, boxes) in enumerate(COCO_BOXES.items()):
        img = as_image(getattr(data, name)()).convert("RGB")
        img.save(out / "val2017" / f"{name}.jpg", quality=92)
        images.append({"id": 100 + k, "file_name": f"{name}.jpg", "width": img.width, "height": img.height})
        for cls, (x, y, w, h) in boxes:
            anns.append({"id": len(anns) + 1, "image_id": 100 + k, "category_id": NUDENET.index(cls) + 1, "bbox": [x, y, w, h],
                         "area": w * h, "iscrowd": 0})
    cats = [{"id": i + 1, "name": n} for i, n in enumerate(NUDENET)]
    (out / "annotations" / "instances_val2017.json").write_text(json.dumps({"images": images, "categories": cats, "annotations": anns}))
    # The same photographs and faces with one category, "face", for face detectors (dataset_type "faces2017").
    (out / "faces2017").mkdir(exist_ok=True)
    for im in images:
        (out / "faces2017" / im["file_name"]).write_bytes((out / "val2017" / im["file_name"]).read_bytes())
    faces = [dict(a, category_id=1) for a in anns]
    (out / "annotations" / "instances_faces2017.json").write_text(json.dumps({"images": images, "categories": [{"id": 1, "name": "face"}],
                                                                              "annotations": faces}))
    return len(images)


def main():
    out = pathlib.Path(sys.argv[1])
    n = digits(out / "image-folder" / "digits")
    m = photos(out / "image-folder" / "photos")
    k = imagenet(out / "imagenet")
    c = coco(out / "coco")
    print(f"image_fixtures: {n} digit PNGs, {m} photographs in 3 classes, {k} ImageNet-layout images, {c} COCO-layout images in {out}")


if __name__ == "__main__":
    main()

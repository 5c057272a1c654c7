#!/usr/bin/env python3
"""Write data/digits/digits.bin from scikit-learn's bundled digits data set.

Format: 1797 records of 65 bytes each, in scikit-learn's order.
  byte 0      label, 0..9
  bytes 1..64 the 8x8 pixel values, 0..16, row-major

Needs scikit-learn (no download: the data ships inside the package):
  scripts/setup-python --with-sklearn && .venv/bin/python scripts/make-digits-data.py
"""
import hashlib
import pathlib
import sys

import numpy as np
from sklearn.datasets import load_digits

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "data" / "digits"
RECORD_BYTES = 65

README = """\
# digits

`digits.bin` holds the 1797 handwritten digits (8×8 pixels, 10 classes) of the
UCI "Optical Recognition of Handwritten Digits" data set, as bundled with
scikit-learn (`sklearn.datasets.load_digits()`).

## Format

A flat file of 1797 records of 65 bytes each ({size} bytes in all), in
scikit-learn's order, with no header:

| bytes | meaning |
| --- | --- |
| 0 | label, `0`…`9` (uint8) |
| 1…64 | the 8×8 pixel values, `0`…`16` (uint8), row-major: byte `1 + 8*row + col` |

Record `i` starts at byte offset `65*i`. SHA-256 of the file: `{sha}`.

The model scripts feed a pixel to a network as `pixel / 16.0` (float32), laid out
NCHW as 1×8×8.

## Provenance and licence

- Data: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits",
  UCI Machine Learning Repository, 1998 (licensed CC BY 4.0).
- Taken from the copy bundled in scikit-learn (BSD-3-Clause).

## Regenerate

```
scripts/setup-python --with-sklearn && .venv/bin/python scripts/make-digits-data.py
```
"""


def main() -> int:
    digits = load_digits()
    images = np.asarray(digits.images)
    labels = np.asarray(digits.target)
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        print(f"unexpected data shape: {images.shape} {labels.shape}", file=sys.stderr)
        return 1
    if images.min() < 0 or images.max() > 16 or np.any(images != np.round(images)):
        print("unexpected pixel values", file=sys.stderr)
        return 1
    if labels.min() < 0 or labels.max() > 9:
        print("unexpected labels", file=sys.stderr)
        return 1

    records = np.empty((len(labels), RECORD_BYTES), dtype=np.uint8)
    records[:, 0] = labels.astype(np.uint8)
    records[:, 1:] = images.reshape(len(labels), 64).astype(np.uint8)
    blob = records.tobytes()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "digits.bin").write_bytes(blob)
    sha = hashlib.sha256(blob).hexdigest()
    (OUT_DIR / "README.md").write_text(README.format(size=len(blob), sha=sha), encoding="utf-8")
    print(f"wrote {OUT_DIR / 'digits.bin'}: {len(labels)} records, {len(blob)} bytes, sha256 {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Real data as numpy arrays, in the layouts ArrayDataset reads (no downloads):

  OUT/digits.npz        the repository's digits (all 1797, data/digits/digits.bin) as "input" float32 [N, 1, 8, 8]
                        (values ÷ 16, as the digits CNN takes them) and "labels" int64 [N]; numpy.savez_compressed
                        (deflated members)
  OUT/file-bytes.npz    Magika's input for real files (this repository's scripts and sources): "bytes" int32 [N, 2048],
                        the first and last 1024 bytes of each file padded with 256; no labels; numpy.savez (stored)
  OUT/faces.npy         scikit-image's LFW subset (200 real 25 × 25 grey images: 100 faces, then 100 non-faces) float32
Usage: array_fixtures.py OUT
"""
import pathlib
import sys

import numpy as np
from skimage import data

REPO = pathlib.Path(__file__).resolve().parent.parent


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    blob = (REPO / "data" / "digits" / "digits.bin").read_bytes()
    records = np.frombuffer(blob, np.uint8).reshape(-1, 65)
    np.savez_compressed(out / "digits.npz", input=(records[:, 1:].astype(np.float32) / 16).reshape(-1, 1, 8, 8),
                        labels=records[:, 0].astype(np.int64))
    files = sorted(p for p in list((REPO / "scripts").glob("*.py")) + list((REPO / "Sources" / "KenningCore").glob("*.swift")))[:48]
    rows = []
    for p in files:
        content = p.read_bytes()
        beg = list(content[:1024]) + [256] * max(0, 1024 - len(content))
        end = [256] * max(0, 1024 - len(content)) + list(content[-1024:])
        rows.append(beg + end)
    np.savez(out / "file-bytes.npz", bytes=np.array(rows, np.int32))
    np.save(out / "faces.npy", data.lfw_subset().astype(np.float32))
    print(f"array_fixtures: {len(records)} digits, {len(rows)} files' bytes, 200 LFW images in {out}")


if __name__ == "__main__":
    main()

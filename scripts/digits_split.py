#!/usr/bin/env python3
"""Deterministic stratified train/test split of the digits data.

The Swift side implements the same algorithm; both must agree bit for bit.

  rng = splitmix64(seed)
  for each class c in ascending order:
      idx = indices of records with label c, in file order
      Fisher-Yates from the back: for i = len-1 down to 1:
          j = rng.next() % (i+1); swap idx[i], idx[j]
      nt = floor(len(idx) * test_fraction + 0.5)
      test += idx[:nt]; train += idx[nt:]
  return sorted(train), sorted(test)

Run as a script to print the split of data/digits/digits.bin with the project
defaults (or: digits_split.py [DIGITS.bin] [--seed S] [--test-fraction F]).
"""
import math
import pathlib
import sys

DEFAULT_TEST_FRACTION = 0.2
DEFAULT_SEED = 1234

_MASK64 = (1 << 64) - 1
RECORD_BYTES = 65
DEFAULT_DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "digits" / "digits.bin"


class SplitMix64:
    """SplitMix64 pseudo-random generator on unsigned 64-bit integers."""

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)


def split(labels, test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = DEFAULT_SEED):
    """Return (train_indices, test_indices), each sorted ascending."""
    labels = [int(v) for v in labels]
    rng = SplitMix64(seed)
    test, train = [], []
    for c in sorted(set(labels)):
        idx = [i for i, v in enumerate(labels) if v == c]
        for i in range(len(idx) - 1, 0, -1):
            j = rng.next() % (i + 1)
            idx[i], idx[j] = idx[j], idx[i]
        nt = math.floor(len(idx) * test_fraction + 0.5)
        test += idx[:nt]
        train += idx[nt:]
    return sorted(train), sorted(test)


def read_labels(path=DEFAULT_DATA):
    """Labels (byte 0 of each 65-byte record) of a digits.bin file."""
    blob = pathlib.Path(path).read_bytes()
    if len(blob) % RECORD_BYTES != 0:
        raise ValueError(f"{path}: size {len(blob)} is not a multiple of {RECORD_BYTES}")
    return list(blob[0::RECORD_BYTES])


def main(argv) -> int:
    path, seed, fraction = DEFAULT_DATA, DEFAULT_SEED, DEFAULT_TEST_FRACTION
    args = list(argv)
    try:
        while args:
            a = args.pop(0)
            if a == "--seed":
                seed = int(args.pop(0))
            elif a == "--test-fraction":
                fraction = float(args.pop(0))
            else:
                path = pathlib.Path(a)
        labels = read_labels(path)
    except (IndexError, ValueError, OSError) as e:
        print(f"digits_split: {e}", file=sys.stderr)
        return 2
    train, test = split(labels, fraction, seed)
    print(f"seed={seed} test_fraction={fraction}")
    rng = SplitMix64(seed)
    print(f"first 3 splitmix64 outputs: {[rng.next() for _ in range(3)]}")
    print(f"train={len(train)} test={len(test)}")
    print(f"first 10 test indices: {test[:10]}")
    print(f"first 10 train indices: {train[:10]}")
    per_class = [sum(1 for i in test if labels[i] == c) for c in sorted(set(labels))]
    print(f"test count per class: {per_class}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

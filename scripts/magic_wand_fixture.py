"""Local stand-ins for Kenning's Magic Wand example (nothing is downloaded).

  magic_wand_fixture.py data DIR          DIR/{wing,ring,slope,negative}/output_<class>_<person>.txt in TensorFlow Lite
                                          Micro's format: "x,y,z" accelerometer lines (milli-g), each gesture started
                                          by a "-,-,-" line; synthetic gestures (a W, a circle, a diagonal stroke,
                                          and random movement), 4 people × 12 gestures per class, seeded
  magic_wand_fixture.py model PATH.h5 DIR the magic wand CNN (Kenning's MagicWandModelWrapper layers, input "input_1"
                                          [128, 3, 1], output "out_layer" [4]) trained for a few epochs on DIR's
                                          windows, saved as keras .h5
"""
import os
import sys

import numpy as np

CLASSES = ["wing", "ring", "slope", "negative"]
WINDOW = 128


def gesture(kind, rng):
    n = int(rng.integers(60, 200))
    t = np.linspace(0, 1, n)
    if kind == "wing":      # down-up-down-up: a W in the x/y plane
        x = np.sin(t * 4 * np.pi) * 300
        y = np.linspace(-200, 200, n)
    elif kind == "ring":    # a circle
        x = np.cos(t * 2 * np.pi) * 300
        y = np.sin(t * 2 * np.pi) * 300
    elif kind == "slope":   # a diagonal stroke, then a flat one
        x = np.where(t < 0.6, t / 0.6 * 400 - 200, 200 - (t - 0.6) / 0.4 * 400)
        y = np.where(t < 0.6, t / 0.6 * 400 - 200, 200.0)
    else:                   # other movement: a random walk
        x = np.cumsum(rng.normal(0, 20, n))
        y = np.cumsum(rng.normal(0, 20, n))
    z = np.full(n, 980.0) + rng.normal(0, 15, n)
    rows = np.stack([x, y, z], axis=1) * rng.uniform(0.8, 1.2) + rng.normal(0, 10, (n, 3))
    return np.round(rows, 1)


def make_data(root):
    rng = np.random.default_rng(2026)
    for kind in CLASSES:
        os.makedirs(os.path.join(root, kind), exist_ok=True)
        for person in range(4):
            lines = []
            for _ in range(12):
                lines.append("-,-,-")
                lines += [f"{x},{y},{z}" for x, y, z in gesture(kind, rng)]
            lines.append("-,-,-")     # ends the last gesture (Kenning drops rows after the last separator)
            with open(os.path.join(root, kind, f"output_{kind}_person{person}.txt"), "w") as f:
                f.write("\n".join(lines) + "\n")


def windows(root):
    """The samples as Kenning's MagicWandDataset makes them (first/last rows padded with noise, 128-row windows)."""
    rng = np.random.default_rng(7)
    xs, ys = [], []
    for label, kind in enumerate(CLASSES):
        folder = os.path.join(root, kind)
        for name in sorted(os.listdir(folder)):
            rec = []
            for line in open(os.path.join(folder, name)):
                parts = line.strip().split(",")
                if len(parts) != 3:
                    continue
                try:
                    rec.append([float(v) for v in parts])
                except ValueError:
                    if rec:
                        data = np.array(rec, dtype=np.float32)
                        pre = abs(WINDOW - len(data)) % WINDOW
                        post = (-(pre + len(data))) % WINDOW
                        pad = lambda row, k: row + np.round((rng.random((k, 3)) - 0.5) * 20, 1)
                        full = np.concatenate([pad(data[:1], pre), data, pad(data[-1:], post)])
                        for w in range(len(full) // WINDOW):
                            xs.append(full[w * WINDOW:(w + 1) * WINDOW])
                            ys.append(label)
                    rec = []
    return np.array(xs, dtype=np.float32)[..., None], np.array(ys)


def make_model(path, root):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    keras.utils.set_random_seed(0)
    m = keras.Sequential([
        keras.Input(shape=(WINDOW, 3, 1), name="input_1"),
        keras.layers.Conv2D(8, (4, 3), padding="same", activation="relu"),
        keras.layers.MaxPool2D((3, 3)),
        keras.layers.Dropout(0.1),
        keras.layers.Conv2D(16, (4, 1), padding="same", activation="relu"),
        keras.layers.MaxPool2D((3, 1), padding="same"),
        keras.layers.Dropout(0.1),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(4, activation="softmax", name="out_layer"),
    ])
    x, y = windows(root)
    m.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # Trained on inputs scaled by 1/1000, then the scale is folded into the first convolution's kernel (convolution is
    # linear), so the saved model takes the raw milli-g values as Kenning's does.
    m.fit(x / 1000.0, y, epochs=60, batch_size=16, verbose=0)
    conv = m.layers[0]
    kernel, bias = conv.get_weights()
    conv.set_weights([kernel / 1000.0, bias])
    _, accuracy = m.evaluate(x, y, verbose=0)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    m.save(path)
    print(f"magic wand model: {len(x)} windows, training accuracy {accuracy:.3f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "data":
        make_data(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "model":
        make_model(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)

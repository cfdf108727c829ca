"""Pixel and encoder helpers for the GPU run (python3 + Pillow + numpy, all on the GPU machine).

    pixels.py compare A B   decodes both images and prints {"identical", "max_abs_diff", "mean_abs_diff", ...}
    pixels.py encode        times the output node's encoders on a natural-looking 512² and 1024² image
                            (1/f noise with smooth structure: PNG sizes like real SD outputs, unlike the noise
                            images the random-weight checkpoint makes)
"""

import io
import json
import sys
import time

import numpy as np
from PIL import Image


def compare(a, b):
    x = np.asarray(Image.open(a).convert("RGB"), dtype=np.int16)
    y = np.asarray(Image.open(b).convert("RGB"), dtype=np.int16)
    if x.shape != y.shape:
        return {"identical": False, "shape_a": list(x.shape), "shape_b": list(y.shape)}
    diff = np.abs(x - y)
    return {
        "identical": bool((diff == 0).all()),
        "max_abs_diff": int(diff.max()),
        "mean_abs_diff": round(float(diff.mean()), 4),
        "pixels_differing": int((diff.max(axis=2) > 0).sum()),
        "shape": list(x.shape),
    }


def natural(size, seed=0):
    """Photo-like test image: 1/f² spectrum per channel plus a smooth gradient, in 0..255."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    channels = []
    for _ in range(3):
        spectrum = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / (f**1.6)
        spectrum[0, 0] = 0
        img = np.fft.irfft2(spectrum, s=(size, size))
        img = (img - img.mean()) / (img.std() + 1e-9)
        channels.append(img)
    ramp = np.linspace(-1, 1, size)[None, :] + np.linspace(-0.5, 0.5, size)[:, None]
    rgb = np.stack(channels, axis=-1) * 40 + 128 + ramp[..., None] * 30
    return np.clip(rgb, 0, 255).astype(np.uint8)


def encode():
    out = {}
    for size in (512, 1024):
        pixels = natural(size)
        floats = pixels.astype(np.float32) / 255.0
        picture = Image.fromarray(pixels)
        row = {}
        started = time.perf_counter()
        for _ in range(5):
            np.clip(255.0 * floats, 0, 255).astype(np.uint8)
        row["float_to_uint8_ms"] = round((time.perf_counter() - started) * 200, 2)
        cases = [(f"png_l{level}", dict(format="PNG", compress_level=level)) for level in (0, 1, 4, 6)]
        cases += [("jpeg_q90", dict(format="JPEG", quality=90)), ("webp_q90_m1", dict(format="WEBP", quality=90, method=1))]
        for name, kwargs in cases:
            times = []
            for _ in range(7):
                buffer = io.BytesIO()
                started = time.perf_counter()
                picture.save(buffer, **kwargs)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            row[name] = {"ms": round(times[len(times) // 2], 2), "bytes": buffer.tell()}
        out[f"{size}x{size}"] = row
    return out


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        print(json.dumps(compare(sys.argv[2], sys.argv[3])))
    elif sys.argv[1] == "encode":
        print(json.dumps(encode()))
    else:
        raise SystemExit(__doc__)

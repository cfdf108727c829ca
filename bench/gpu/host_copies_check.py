"""encode.HostCopies on a GPU: slice-by-slice copies give the pixels and PNG bytes of the whole-batch path.

Seven random images (slices of 4, 2 and 1, as the VAE decodes a batch of 7 without exact batches), first with pinned
host buffers, then with pinning refused (the pageable fallback). Prints one line per case.

  python3 bench/gpu/host_copies_check.py
"""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "packages", "server", "comfyui-nodes", "genimage_output"))
import encode  # noqa: E402

torch.manual_seed(0)
images = torch.rand(7, 512, 512, 3, device="cuda") * 1.2 - 0.1
want = encode.to_uint8(images).cpu().numpy()


def check(label):
    copies = encode.HostCopies()
    for start, size in [(0, 4), (4, 2), (6, 1)]:
        copies.add(start, images[start:start + size])
    tagged = copies.attach(images.clone())
    got = [encode.HostCopies.of(tagged).pixels(i) for i in range(7)]
    pngs = list(encode.encode_batch(tagged, "png", 90, 1, True))
    plain = list(encode.encode_batch(images.clone(), "png", 90, 1, True))
    print(
        label,
        "pixels equal:", all((g == w).all() for g, w in zip(got, want)),
        "pinned:", copies.slices[0][1].is_pinned(),
        "png bytes equal:", [p[1] for p in pngs] == [p[1] for p in plain],
        "indices:", [p[0] for p in pngs],
    )


check("pinned")
real_empty = torch.empty


def no_pin(*args, **kwargs):
    if kwargs.get("pin_memory"):
        raise RuntimeError("no page-locked memory (test)")
    return real_empty(*args, **kwargs)


torch.empty = no_pin  # encode.py allocates through this module
check("fallback")

"""Image-to-image input: GenimageLoadImage decodes the picture the bridge sends inside the prompt.

ComfyUI's LoadImage reads a file from its input folder, which would need an upload to every instance of a pool and a
cleanup after each job; the bridge instead sends the input image base64-encoded in the prompt (at most a few MiB: the
API refuses larger ones), and this node decodes it like LoadImage does (EXIF orientation, first frame, RGB, float
0..1, shape [1, H, W, 3]). The API has already checked the format (PNG, JPEG or WebP) and the size from the header;
a file that still does not decode raises a ValueError naming this node, which the bridge answers with 422.
"""

import base64
import io

import numpy as np
import torch
from PIL import Image, ImageOps

import node_helpers

# The formats the API accepts; anything else is refused here too.
FORMATS = ("PNG", "JPEG", "WEBP")


def decode(data):
    """base64 text -> IMAGE tensor [1, H, W, 3] float32 in 0..1."""
    try:
        raw = base64.b64decode(data, validate=True)
        img = node_helpers.pillow(Image.open, io.BytesIO(raw))
        if img.format not in FORMATS:
            raise ValueError(f"format {img.format} is not one of {', '.join(FORMATS)}")
        img = node_helpers.pillow(ImageOps.exif_transpose, img)
        if img.mode == "I":
            img = img.point(lambda i: i * (1 / 255))
        rgb = img.convert("RGB")
    except Exception as error:  # Pillow raises OSError, SyntaxError, zlib.error, DecompressionBombError, …
        raise ValueError(f"genimage: the input image cannot be decoded: {error}") from error
    array = np.array(rgb).astype(np.float32) / 255.0
    return torch.from_numpy(array)[None,]


class GenimageLoadImage:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("STRING", {"default": "", "multiline": False})}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "load"
    CATEGORY = "image"
    DESCRIPTION = "Decodes a base64 PNG, JPEG or WebP sent in the prompt (image-to-image input), like LoadImage."

    def load(self, image):
        return (decode(image),)

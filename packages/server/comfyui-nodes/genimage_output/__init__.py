"""genimage output node for ComfyUI.

GenimageOutput sends each image of its input over the WebSocket as one binary frame, encoded in the format the
request asked for (PNG with a chosen zlib level, JPEG or WebP at a chosen quality). Nothing is written to disk,
no PNG metadata is embedded, and the client gets the bytes without a /history + /view round trip. With `fast`
(the default) JPEG is encoded on the GPU and PNG deflated in parallel threads (encode.py); `fast: false` is the
plain Pillow path. A batch of B images gives B frames, `index` 0..B-1 (the bridge's batching, batch.py).

Frame layout (all integers big-endian), the same shape as ComfyUI's type-4 preview frames:

    [u32 0x47454E49 ("GENI")][u32 json_length][json metadata][encoded image]

metadata = {"prompt_id", "node_id", "content_type", "width", "height", "index", "count", "encode_ms", "encoder"}

The frame goes through PromptServer.send_sync, the same ordered queue as every other message, so it reaches the
client after this node's "executing" message and before the prompt's closing `executing {node: null}`. It is sent
to the client that queued the prompt (server.client_id), or to every socket when the prompt had no client_id.
Installed into <ComfyUI>/custom_nodes/ by @genimage/server (installComfyNodes) before ComfyUI starts.
"""

import json
import struct
import time

from server import PromptServer

from .batch import GenimageBatchSampler, GenimageBatchTextEncode
from .capture_policy import get_executing_context  # ComfyUI's executor context, None before 0.3.4x
from .console import quiet_progress_bars
from .cudagraph import GenimageCudaGraph, GenimageCudaGraphClip
from .encode import encode_batch, warm_nvjpeg_later
from .fast_load import install as install_fast_load
from .heap import freeze_boot_heap_once
from .load import GenimageLoadImage
from .precision import GenimageClipFp16
from .vae_decode import GenimageCudaGraphVae, GenimageVaeGroupNorm

GENIMAGE_IMAGE = 0x47454E49

quiet_progress_bars()
install_fast_load()

# format input -> MIME type
FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class GenimageOutput:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "images": ("IMAGE", {}),
                "format": (list(FORMATS), {"default": "png"}),
                "quality": ("INT", {"default": 90, "min": 1, "max": 100}),
                "compress_level": ("INT", {"default": 1, "min": 0, "max": 9}),
            },
            "optional": {"fast": ("BOOLEAN", {"default": True})},
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    RETURN_TYPES = ()
    FUNCTION = "send"
    OUTPUT_NODE = True
    CATEGORY = "api/image"
    DESCRIPTION = "Sends each image over the WebSocket as one binary frame in the requested format, with no file on disk."

    @classmethod
    def IS_CHANGED(cls, **kwargs):
        # Always run: a cached output node would replay nothing, and the client would get no frame.
        return time.time()

    def send(self, images, format="png", quality=90, compress_level=1, fast=True, unique_id=None):
        server = PromptServer.instance
        context = get_executing_context() if get_executing_context is not None else None
        prompt_id = context.prompt_id if context is not None else getattr(server, "last_prompt_id", None)
        node_id = context.node_id if context is not None else unique_id
        content_type = FORMATS[format]
        count = len(images)
        height, width = int(images.shape[1]), int(images.shape[2])
        for index, encoded, encode_ms, encoder in encode_batch(images, format, quality, compress_level, fast):
            metadata = json.dumps(
                {
                    "prompt_id": prompt_id,
                    "node_id": node_id,
                    "content_type": content_type,
                    "width": width,
                    "height": height,
                    "index": index,
                    "count": count,
                    "encode_ms": round(encode_ms, 2),
                    "encoder": encoder,
                }
            ).encode("utf-8")
            payload = struct.pack(">I", len(metadata)) + metadata + encoded
            server.send_sync(GENIMAGE_IMAGE, payload, server.client_id)
        warm_nvjpeg_later()
        freeze_boot_heap_once()
        return {}


NODE_CLASS_MAPPINGS = {
    "GenimageOutput": GenimageOutput,
    "GenimageCudaGraph": GenimageCudaGraph,
    "GenimageCudaGraphClip": GenimageCudaGraphClip,
    "GenimageBatchTextEncode": GenimageBatchTextEncode,
    "GenimageBatchSampler": GenimageBatchSampler,
    "GenimageLoadImage": GenimageLoadImage,
    "GenimageClipFp16": GenimageClipFp16,
    "GenimageVaeGroupNorm": GenimageVaeGroupNorm,
    "GenimageCudaGraphVae": GenimageCudaGraphVae,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "GenimageOutput": "genimage output (WebSocket)",
    "GenimageCudaGraph": "genimage CUDA graph (model)",
    "GenimageCudaGraphClip": "genimage CUDA graph (text encoders)",
    "GenimageBatchTextEncode": "genimage batch text encode (one prompt per item)",
    "GenimageBatchSampler": "genimage batch sampler (one seed per item)",
    "GenimageLoadImage": "genimage load image (base64 in the prompt)",
    "GenimageClipFp16": "genimage text encoders in fp16",
    "GenimageVaeGroupNorm": "genimage VAE decoder GroupNorm (GPU-wide)",
    "GenimageCudaGraphVae": "genimage CUDA graph (VAE decoder)",
}

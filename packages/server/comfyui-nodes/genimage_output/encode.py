"""Image encoders of GenimageOutput: the plain ones (Pillow, one thread) and the fast ones.

Fast (GenimageOutput `fast`, the default):
- JPEG on the GPU with nvjpeg (`torchvision.io.encode_jpeg` on a CUDA tensor) when torchvision has it, else Pillow;
- PNG with the rows split into parts deflated in parallel threads (zlib releases the GIL), joined as one zlib stream
  (each part but the last ends in a sync flush, so the parts concatenate; one Adler-32 over everything). Filter
  "Up" on every row. Decodes to the same pixels as Pillow's PNG;
- WebP with Pillow (libwebp), one image per thread.
Float images become uint8 as ComfyUI's SaveImage does (`clip(255 * x, 0, 255)`, truncated), with torch (threaded).
"""

import glob
import importlib.util
import io
import logging
import os
import struct
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from PIL import Image

from .cpu_budget import cpu_budget


def encoder_threads(environ=os.environ):
    """How many threads encode images: this instance's CPU budget (cpu_budget.py), 1 to 16.

    Deflate is compute-bound and zlib releases the GIL: a batch of 8 noise-like 512² PNGs is ≈ 0.46 s of CPU
    at level 1.
    """
    return max(1, min(16, cpu_budget(environ)))


THREADS = encoder_threads()
# Two pools: images of a batch on one, the deflate parts of each PNG on the other (no task waits on its own pool).
IMAGES = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="genimage-image")
PARTS = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="genimage-deflate")

# nvjpeg without importing torchvision (its package imports torch._dynamo: ≈ 5 s, which held the GIL for the first
# requests after a cold start): torchvision's `image` extension library registers `torch.ops.image.encode_jpegs_cuda`,
# the op `torchvision.io.encode_jpeg` calls for a list of CUDA tensors, and loads on its own in milliseconds.
# When that library cannot be loaded, `torchvision.io.encode_jpeg` is imported instead; when neither works, Pillow.
_encode_jpegs = None
_nvjpeg_state = "unloaded"  # unloaded | ready | unavailable
_nvjpeg_lock = threading.Lock()
_gpu_jpeg_failed = False


def _image_ops():
    """`encode_jpegs_cuda` from torchvision's image library, loaded by path (the package is not imported)."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        raise ImportError("torchvision is not installed")
    folder = os.path.dirname(spec.origin)
    libraries = sorted(glob.glob(os.path.join(folder, "image.*so")) + glob.glob(os.path.join(folder, "image.*pyd")))
    if not libraries:
        raise ImportError(f"no image library in {folder}")
    torch.ops.load_library(libraries[0])
    return torch.ops.image.encode_jpegs_cuda


def _nvjpeg():
    """A function (list of CHW uint8 CUDA tensors, quality) → list of JPEG byte tensors, or None."""
    global _encode_jpegs, _nvjpeg_state
    with _nvjpeg_lock:
        if _nvjpeg_state == "unloaded":
            try:
                _encode_jpegs = _image_ops()
            except Exception as error:  # noqa: BLE001 - fall back to the package's own function
                logging.info(f"genimage: torchvision's image library did not load ({error}); importing torchvision.io")
                try:
                    from torchvision.io import encode_jpeg

                    _encode_jpegs = encode_jpeg
                except Exception as error2:  # noqa: BLE001 - torchvision absent or broken: Pillow encodes JPEG
                    logging.info(f"genimage: torchvision unavailable, JPEG is encoded with Pillow: {error2}")
            _nvjpeg_state = "ready" if _encode_jpegs is not None else "unavailable"
        return _encode_jpegs


def warm_nvjpeg_later():
    """Loads nvjpeg's library on a background thread, once (called after a prompt's frames are sent)."""
    if _nvjpeg_state == "unloaded" and not _nvjpeg_lock.locked():
        threading.Thread(target=_nvjpeg, name="genimage-nvjpeg-load", daemon=True).start()


def to_uint8(images):
    """(B, H, W, C) float in 0..1 → (B, H, W, C) uint8 tensor on the same device, as SaveImage rounds."""
    return torch.clamp(images * 255.0, 0, 255).to(torch.uint8)


class HostCopies:
    """uint8 copies of a decoded batch on their way to the CPU, a slice at a time, for the CPU encoders (PNG, WebP).

    The VAE decodes a batch slice by slice (vae_decode.py). Each slice's copy is queued on the GPU right after that
    slice, so the first images reach the CPU, and their PNGs start, while the GPU still decodes the others; copying
    the whole batch after it would wait for its last image. GenimageOutput finds them on the images tensor
    (`HostCopies.of`, as ComfyUI hands a node's output to the next node as it is); the pixels are those `to_uint8`
    gives for the whole batch.
    """

    ATTRIBUTE = "_genimage_host_copies"

    def __init__(self):
        self.slices = []  # (first index, pinned uint8 tensor, CUDA event recorded after its copy)

    def add(self, start, images):
        """Queues the copy of `images` (a (B, H, W, C) float slice on the GPU starting at index `start`)."""
        pixels = to_uint8(images)
        try:
            host = torch.empty(pixels.shape, dtype=torch.uint8, pin_memory=True)
        except RuntimeError:  # no page-locked memory to be had: a pageable copy, which waits for the GPU instead
            host = torch.empty(pixels.shape, dtype=torch.uint8)
        host.copy_(pixels, non_blocking=True)
        done = torch.cuda.Event()
        done.record()
        self.slices.append((start, host, done))

    def pixels(self, index):
        """Image `index` as an (H, W, C) uint8 array, once its slice is on the CPU (the wait releases the GIL)."""
        for start, host, done in self.slices:
            if start <= index < start + host.shape[0]:
                done.synchronize()
                return host[index - start].numpy()
        raise IndexError(f"no host copy of image {index}")

    def attach(self, images):
        """Marks `images` as the batch these copies are of; returns it."""
        setattr(images, self.ATTRIBUTE, self)
        return images

    @classmethod
    def of(cls, images):
        """The copies attached to `images`, or None."""
        return getattr(images, cls.ATTRIBUTE, None)


def pil_encode(pixels, fmt, quality, compress_level):
    """The plain encoder: Pillow, one thread (what GenimageOutput did before `fast`)."""
    picture = Image.fromarray(pixels)
    buffer = io.BytesIO()
    if fmt == "png":
        picture.save(buffer, format="PNG", compress_level=compress_level)
    elif fmt == "jpeg":
        picture.save(buffer, format="JPEG", quality=quality)
    else:
        # WebP effort 0 (fastest) .. 6 (smallest); compress_level doubles as the effort knob.
        picture.save(buffer, format="WEBP", quality=quality, method=min(compress_level, 6))
    return buffer.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _deflate(data, level, last):
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def png_parallel(pixels, level):
    """PNG of an (H, W, 3|4) uint8 array, deflated in parallel parts."""
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels)
    raw = np.empty((height, 1 + width * channels), dtype=np.uint8)
    raw[:, 0] = 2  # filter "Up": each byte minus the byte above (the row above the first is zeros)
    raw[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=raw[1:, 1:])
    data = memoryview(raw.reshape(-1))
    parts = max(1, min(THREADS, height // 32))
    step = -(-height // parts) * raw.shape[1]
    slices = [data[i : i + step] for i in range(0, len(data), step)]
    deflated = list(PARTS.map(lambda k: _deflate(slices[k], level, k == len(slices) - 1), range(len(slices))))
    stream = b"\x78\x01" + b"".join(deflated) + struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF)
    color = {3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def _gpu_jpegs(batch, quality):
    """nvjpeg for the whole batch, or None when it is not available here."""
    global _gpu_jpeg_failed
    if _gpu_jpeg_failed or not torch.cuda.is_available():
        return None
    encode_jpegs = _nvjpeg()
    if encode_jpegs is None:
        return None
    try:
        chw = [image.permute(2, 0, 1).contiguous().to("cuda", non_blocking=True) for image in batch]
        return [bytes(t.cpu().numpy()) for t in encode_jpegs(chw, quality)]
    except Exception as error:  # noqa: BLE001 - old torchvision (CPU-only encode_jpeg) or no nvjpeg
        _gpu_jpeg_failed = True
        logging.warning(f"genimage: nvjpeg encode unavailable, JPEG falls back to Pillow: {error}")
        return None


def encode_batch(images, fmt, quality, compress_level, fast):
    """Yields (index, bytes, encode_ms, encoder) for each image of the (B, H, W, C) float batch, in order."""
    started = time.perf_counter()
    if fast and fmt == "jpeg":
        encoded = _gpu_jpegs(to_uint8(images), quality)
        if encoded is not None:
            ms = (time.perf_counter() - started) * 1000
            for index, data in enumerate(encoded):
                yield index, data, ms, "nvjpeg"
            return
    copies = HostCopies.of(images) if fast else None
    if copies is None:
        batch = to_uint8(images).cpu().numpy()
        convert_ms = (time.perf_counter() - started) * 1000

    def pixels_of(index):
        """Image `index` as uint8 on the CPU, and the ms since `started` at which it was there."""
        if copies is None:
            return batch[index], convert_ms
        # As soon as its slice is decoded and copied, while the GPU decodes the next ones.
        pixels = copies.pixels(index)
        return pixels, (time.perf_counter() - started) * 1000

    channels = int(images.shape[-1])

    def one(index):
        pixels, ready_ms = pixels_of(index)
        began = time.perf_counter()
        if fast and fmt == "png" and channels in (3, 4):
            data, encoder = png_parallel(pixels, compress_level), "png-parallel"
        else:
            data, encoder = pil_encode(pixels, fmt, quality, compress_level), "pillow"
        return data, ready_ms + (time.perf_counter() - began) * 1000, encoder

    count = int(images.shape[0])
    if fast and count > 1:
        for index, future in enumerate([IMAGES.submit(one, i) for i in range(count)]):
            yield (index, *future.result())
    else:
        for index in range(count):
            yield (index, *one(index))

"""Reads a checkpoint's safetensors file straight into GPU memory through pinned buffers (cold start; GENIMAGE_FAST_LOAD).

ComfyUI's checkpoint loader memory-maps the file and copies each weight from the mapping into the model on the GPU:
pageable memory, so the driver stages every byte through its own buffer, and the first touch of each page faults. On an
H200 that copy took 0.95 s of the first prompt's 3.2 s (cProfile of the boot warm-up: 2,644 `copy_` calls), 6–8 GiB/s,
and more threads did not help: the driver serializes pageable copies (bench/gpu/ckpt_load.py).

Here reader threads `preadv` the file (from the page cache, the GIL released) into pinned buffers, two per thread, and
each buffer goes to the GPU as asynchronous copies on the thread's own stream into the tensors it covers, while the
thread reads its next chunk. The state dict ComfyUI gets then lives on the GPU: building the model copies GPU to GPU,
and the dict is freed once the models are built. The bytes are the file's, so the weights are identical to ComfyUI's
own load (bench/gpu/ckpt_load.py --check compares every tensor).

Only `CheckpointLoaderSimple`'s kind of load uses it (`comfy.sd.load_checkpoint_guess_config`: the default workflow's
loader), only for `.safetensors` files, and only when the GPU has room for the file twice over plus 2 GiB (the state
dict and the model, until the dict is freed); anything else, a header that does not describe the file (an unknown
dtype, a byte range that does not fit its shape, lies outside the file or overlaps another) or any error falls back to
ComfyUI's own load, which then reports what is wrong. The pinned buffers go back to the system afterwards.
`GENIMAGE_FAST_LOAD=0` turns it off.
"""

import bisect
import itertools
import json
import logging
import math
import os
import struct
import threading
import time

from .cpu_budget import cpu_budget
from .env_flag import env_flag

CHUNK_BYTES = 32 << 20
# Reader threads: 8 read 6.46 GiB in 647-663 ms on an H200 host where 4 took 717-841 ms and 12 took 714-833 ms
# (bench/gpu/ckpt_load.py); fewer when the instance's CPU budget is smaller.
READERS = max(1, min(8, cpu_budget()))
HEADROOM_BYTES = 2 << 30
_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
    "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
}


def read_header(fd):
    """The file's tensors `{name: (dtype name, shape, start, end)}` (offsets from the file's start) and its metadata."""
    (length,) = struct.unpack("<Q", os.pread(fd, 8, 0))
    header = json.loads(os.pread(fd, length, 8))
    metadata = header.pop("__metadata__", None)
    base = 8 + length
    tensors = {name: (info["dtype"], info["shape"], base + info["data_offsets"][0], base + info["data_offsets"][1])
               for name, info in header.items()}
    return tensors, metadata


def _well_formed(torch, tensors, file_size):
    """Known dtypes, each byte range the size of its shape, inside the file and overlapping no other."""
    ranges = []
    for dtype, shape, first, last in tensors.values():
        if dtype not in _DTYPES or not all(isinstance(n, int) and n >= 0 for n in shape):
            return False
        if last - first != math.prod(shape) * getattr(torch, _DTYPES[dtype]).itemsize:
            return False
        ranges.append((first, last))
    ranges.sort()
    return all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:])) and all(0 <= a <= b <= file_size for a, b in ranges)


def _chunks(start, end):
    return [(offset, min(offset + CHUNK_BYTES, end)) for offset in range(start, end, CHUNK_BYTES)]


def _read_into(torch, fd, device, pieces, worker_chunks):
    """One reader: each chunk into one of its two pinned buffers, then asynchronously into the tensors it covers."""
    stream = torch.cuda.Stream(device=device)
    buffers = [torch.empty(CHUNK_BYTES, dtype=torch.uint8, pin_memory=True) for _ in range(2)]
    done = [None, None]
    for turn, (start, end) in enumerate(worker_chunks):
        slot = turn % 2
        if done[slot] is not None:
            done[slot].synchronize()  # the copies out of this buffer have finished
        view = buffers[slot][: end - start]
        got = os.preadv(fd, [memoryview(view.numpy())], start)
        if got != end - start:
            raise OSError(f"short read at {start}: {got} of {end - start} bytes")
        with torch.cuda.stream(stream):
            for first, last, target, at in pieces(start, end):
                target[at : at + last - first].copy_(view[first - start : last - start], non_blocking=True)
            done[slot] = torch.cuda.Event()
            done[slot].record(stream)
    stream.synchronize()


def load(path, device):
    """The state dict of `path` on `device` and the file's metadata, or None when the fast path does not apply."""
    import torch

    fd = os.open(path, os.O_RDONLY)
    try:
        tensors, metadata = read_header(fd)
        if not _well_formed(torch, tensors, os.fstat(fd).st_size):
            return None  # ComfyUI's own load says what is wrong with the file
        start = min((s for _, _, s, _ in tensors.values()), default=0)
        end = max((e for _, _, _, e in tensors.values()), default=0)
        free, _total = torch.cuda.mem_get_info(device)
        if free < 2 * (end - start) + HEADROOM_BYTES:
            return None
        started = time.perf_counter()
        out, spans = {}, []
        for name, (dtype, shape, first, last) in tensors.items():
            out[name] = torch.empty(shape, dtype=getattr(torch, _DTYPES[dtype]), device=device)
            if last > first:
                spans.append((first, last, out[name].reshape(-1).view(torch.uint8)))
        spans.sort(key=lambda span: span[0])
        firsts = [span[0] for span in spans]

        def pieces(chunk_start, chunk_end):
            """(file start, file end, target bytes, offset in target) of every tensor range inside the chunk."""
            for first, last, target in itertools.islice(spans, max(0, bisect.bisect_right(firsts, chunk_start) - 1), None):
                if first >= chunk_end:
                    break
                if last > chunk_start:
                    lo, hi = max(first, chunk_start), min(last, chunk_end)
                    yield lo, hi, target, lo - first

        chunks = _chunks(start, end)
        errors = []
        # ComfyUI runs nodes under inference mode, so the tensors above are inference tensors: the readers write them
        # in the same mode (it is per thread).
        inference = torch.is_inference_mode_enabled()

        def reader(index):
            try:
                with torch.inference_mode(inference):
                    _read_into(torch, fd, device, pieces, chunks[index::READERS])
            except Exception as error:  # reported below, after every reader stopped
                errors.append(error)

        threads = [threading.Thread(target=reader, args=(i,), name=f"genimage-load-{i}") for i in range(READERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        torch.cuda.synchronize(device)
        # Give the pinned buffers (512 MiB with 8 readers) back to the system instead of PyTorch's host cache.
        getattr(torch._C, "_host_emptyCache", lambda: None)()
        seconds = time.perf_counter() - started
        logging.info(f"genimage: {os.path.basename(path)} read to the GPU in {seconds * 1000:.0f} ms "
                     f"({(end - start) / 2**30 / seconds:.1f} GiB/s)")
        return out, metadata
    finally:
        os.close(fd)


_loading = threading.local()


def install():
    """Routes the checkpoint loader's file read through `load` (unless GENIMAGE_FAST_LOAD is off); returns whether it did."""
    if not env_flag("GENIMAGE_FAST_LOAD"):
        return False
    import comfy.model_management as mm
    import comfy.sd
    import comfy.utils

    load_checkpoint, load_torch_file = comfy.sd.load_checkpoint_guess_config, comfy.utils.load_torch_file

    def load_checkpoint_guess_config(ckpt_path, *args, **kwargs):
        _loading.path = ckpt_path
        try:
            return load_checkpoint(ckpt_path, *args, **kwargs)
        finally:
            _loading.path = None

    def fast_load_torch_file(ckpt, safe_load=False, device=None, return_metadata=False):
        if ckpt == getattr(_loading, "path", None) and device is None and str(ckpt).lower().endswith((".safetensors", ".sft")):
            _loading.path = None  # the checkpoint's own file, once
            try:
                target = mm.get_torch_device()
                loaded = load(ckpt, target) if getattr(target, "type", None) == "cuda" else None
            except Exception as error:  # ComfyUI's own load below reports what is really wrong with the file
                logging.warning(f"genimage: fast checkpoint load failed, ComfyUI loads it: {error}")
                loaded = None
            if loaded is not None:
                return loaded if return_metadata else loaded[0]
        return load_torch_file(ckpt, safe_load=safe_load, device=device, return_metadata=return_metadata)

    comfy.sd.load_checkpoint_guess_config = load_checkpoint_guess_config
    comfy.utils.load_torch_file = fast_load_torch_file
    return True

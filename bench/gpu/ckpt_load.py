# How fast the UNet's weights go from the checkpoint (safetensors, memory-mapped, in the page cache) to the GPU, ways
# side by side, each in a fresh process so every way pays for its own page faults:
#   sequential   what ComfyUI's load_state_dict does: param.copy_(mmapped_tensor), one tensor after the other
#   threads-N    the same copies (to fresh GPU tensors) from N threads, each on its own CUDA stream
#   fast_load    genimage's loader (comfyui-nodes/genimage_output/fast_load.py): the whole file, through pinned buffers
#                (fast_load-N: with N reader threads instead of its default)
# Usage: python3 bench/gpu/ckpt_load.py CKPT [rounds=3]   → one JSON line per (way, round), then a summary line.
#        python3 bench/gpu/ckpt_load.py --check CKPT      → fast_load's state dict against safetensors' own, every tensor.
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

PREFIX = "model.diffusion_model."
NODES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "server", "comfyui-nodes")


def fast_load():
    """fast_load.py, with the modules it imports, as a package of its own (the node package's __init__ needs ComfyUI)."""
    import types

    package = types.ModuleType("gi_nodes")
    package.__path__ = [os.path.join(NODES, "genimage_output")]
    sys.modules["gi_nodes"] = package
    spec = importlib.util.spec_from_file_location("gi_nodes.fast_load", os.path.join(NODES, "genimage_output", "fast_load.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def check(ckpt):
    """Every tensor of fast_load's state dict equals safetensors' own (same dtype, shape and bytes)."""
    import torch
    from safetensors import safe_open

    with torch.inference_mode():  # as ComfyUI runs its nodes
        loaded = fast_load().load(ckpt, torch.device("cuda"))
    if loaded is None:
        return {"check": "fast_load declined"}
    sd, metadata = loaded
    mismatched = []
    with safe_open(ckpt, framework="pt", device="cpu") as f:
        names = list(f.keys())
        for name in names:
            ref = f.get_tensor(name)
            got = sd[name]
            if got.dtype != ref.dtype or got.shape != ref.shape or not torch.equal(got.cpu(), ref):
                mismatched.append(name)
        same_metadata = metadata == f.metadata()
    return {"check": "fast_load vs safetensors", "tensors": len(names), "extra": len(set(sd) - set(names)),
            "mismatched": mismatched[:10], "mismatched_count": len(mismatched), "metadata_equal": same_metadata}


def run_one(ckpt, way):
    import torch
    from safetensors import safe_open

    torch.cuda.init()
    torch.empty(1, device="cuda")
    started = time.perf_counter()
    with safe_open(ckpt, framework="pt", device="cpu") as f:
        tensors = [f.get_tensor(k) for k in f.keys() if k.startswith(PREFIX)]
    opened = time.perf_counter()
    total = sum(t.numel() * t.element_size() for t in tensors)
    if way.startswith("fast_load"):
        module = fast_load()
        module.READERS = int(way.split("-")[1]) if "-" in way else module.READERS
        with torch.inference_mode():  # as ComfyUI runs its nodes
            tensors = list(module.load(ckpt, torch.device("cuda"))[0].values())
        torch.cuda.synchronize()
        copied = time.perf_counter()
        total = sum(t.numel() * t.element_size() for t in tensors)
        return {"way": way, "tensors": len(tensors), "gib": round(total / 2**30, 2), "open_ms": 0,
                "copy_ms": round((copied - started) * 1000), "gib_per_s": round(total / 2**30 / (copied - started), 1)}
    if way == "sequential":
        dst = [torch.empty_like(t, device="cuda") for t in tensors]
        begin = time.perf_counter()
        for d, s in zip(dst, tensors):
            d.copy_(s)
        torch.cuda.synchronize()
    else:
        from concurrent.futures import ThreadPoolExecutor

        workers = int(way.split("-")[1])
        begin = time.perf_counter()

        def part(index):
            stream = torch.cuda.Stream()
            with torch.cuda.stream(stream):
                out = [t.to("cuda") for t in tensors[index::workers]]
            stream.synchronize()
            return out

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(part, range(workers)))
    copied = time.perf_counter()
    return {"way": way, "tensors": len(tensors), "gib": round(total / 2**30, 2), "open_ms": round((opened - started) * 1000),
            "copy_ms": round((copied - begin) * 1000), "gib_per_s": round(total / 2**30 / (copied - begin), 1)}


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        print(json.dumps(check(sys.argv[2])))
        sys.exit(0)
    if sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2], sys.argv[3])))
        sys.exit(0)
    ckpt = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    ways = ["sequential", "fast_load", "fast_load-8", "fast_load-12"]
    results = {w: [] for w in ways}
    for _ in range(rounds):
        for way in ways:
            done = subprocess.run([sys.executable, __file__, "--one", ckpt, way], capture_output=True, text=True, timeout=300)
            line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else json.dumps({"way": way, "error": done.stderr[-300:]})
            print(line, flush=True)
            row = json.loads(line)
            if "copy_ms" in row:
                results[way].append(row["copy_ms"])
    print(json.dumps({"median_copy_ms": {w: statistics.median(v) for w, v in results.items() if v}}))

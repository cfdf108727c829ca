"""CUDA graphs for the launch-bound parts of SDXL Turbo (the default workflow uses them; FAST_PATH=0 removes them).

At 512² the SDXL UNet and both CLIP text encoders are launch-bound: one eager UNet evaluation takes ≈58 ms on an
H100 where the same kernels replayed as a CUDA graph take ≈14 ms (shared/gpu/kernels.py), and the two text encoders
take ≈45 ms for a few ms of GPU work. Two nodes replay the same kernels as CUDA graphs:

- GenimageCudaGraph (MODEL → MODEL): a model function wrapper that captures `apply_model` once per input signature
  (latent shape, context length, dtypes) and replays it afterwards.
- GenimageCudaGraphClip (CLIP → CLIP): an object patch on every CLIP encoder's `forward` (the transformer layers)
  that does the same per token-sequence shape.

Both copy the inputs into the graph's static buffers (conditioning that ComfyUI keeps on the CPU included), replay,
and return clones of the outputs. They fall back to eager, per signature, on anything unusual (inputs that are not
tensors, a capture that fails). A graph reads the weights at the addresses they had when it was captured, so every
call compares a fingerprint of those addresses and recaptures when ComfyUI moved or patched the weights. Graphs are
kept LRU, `max_graphs` per runner, in one memory pool per runner (outputs are cloned after each replay, and
replays never overlap, so graphs may share their scratch memory). A prompt that asks for replays only
(capture_policy.py: the boot warm-up, the first requests after `ready`) runs a shape without a graph eager instead.
"""

import logging
import time
import weakref
from collections import OrderedDict

import torch

from .capture_policy import captures_allowed
from .exact import exact_batches


def _clone_out(value):
    if torch.is_tensor(value):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(_clone_out(v) for v in value)
    if isinstance(value, list):
        return [_clone_out(v) for v in value]
    return value


# Names of the three parameters a module's fingerprint reads (first, middle, last), found once per module: walking
# every parameter of the SDXL UNet on each call cost ≈ 15 ms of CPU per sampling step (bench/gpu pieces.py).
_picked_names = weakref.WeakKeyDictionary()


def _picks(module):
    names = _picked_names.get(module)
    if names is None:
        every = [name for name, _ in module.named_parameters()]
        names = (every[0], every[len(every) // 2], every[-1]) if every else ()
        _picked_names[module] = names
    return names


def weights_fingerprint(module, owner=None):
    """Where three of the module's weights live now: a graph replays reads of those addresses, so a change means recapture.

    Parameters are looked up by name on every call, so a parameter object that ComfyUI replaced (a patch, a reload)
    changes the fingerprint as a moved one does.
    """
    if module is None:
        return None
    try:
        params = [module.get_parameter(name) for name in _picks(module)]
    except AttributeError:  # the module's structure changed: find the names again
        _picked_names.pop(module, None)
        params = [module.get_parameter(name) for name in _picks(module)]
    if not params:
        return None
    return (id(owner if owner is not None else module), tuple((p.device.type, p.data_ptr(), p.dtype) for p in params))


class _Entry:
    __slots__ = ("graph", "inputs", "out", "fingerprint")


class GraphRunner:
    """Captures `fn(static_inputs)` per key and replays it; `inputs` are copied into the static buffers."""

    def __init__(self, name, max_graphs=4):
        self.name = name
        self.max_graphs = max_graphs
        self.graphs = OrderedDict()
        self.failed = set()
        self.pool = None  # one memory pool for all graphs of this runner: they replay one at a time
        self.captures = 0
        self.replays = 0

    def _capture(self, fn, inputs, device, fingerprint):
        entry = _Entry()
        entry.inputs = {k: v.detach().to(device=device, copy=True) for k, v in inputs.items()}
        entry.fingerprint = fingerprint
        side = torch.cuda.Stream(device=device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(2):
                fn(entry.inputs)
        torch.cuda.current_stream(device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self.pool, capture_error_mode="thread_local"):
            entry.out = fn(entry.inputs)
        self.pool = graph.pool()
        entry.graph = graph
        self.captures += 1
        return entry

    def run(self, key, fingerprint, fn, inputs, device, eager):
        """Replays the graph of `key` (capturing it first); `eager()` when that is not possible or not allowed now."""
        if key in self.failed or fingerprint is None:
            return eager()
        entry = self.graphs.get(key)
        if entry is not None and entry.fingerprint != fingerprint:
            # The weights moved (unloaded and reloaded, or patched): every graph of this runner reads stale addresses.
            self.graphs.clear()
            entry = None
        if entry is None:
            if not captures_allowed():  # a prompt that must not wait for a capture (capture_policy.py)
                return eager()
            started = time.perf_counter()
            try:
                entry = self._capture(fn, inputs, device, fingerprint)
            except Exception as error:  # capture is best effort: this signature runs eager from now on
                logging.warning(f"{self.name}: capture failed for {key}, running eager: {error}")
                self.failed.add(key)
                return eager()
            logging.info(f"{self.name}: captured {key} in {(time.perf_counter() - started) * 1000:.0f} ms")
            self.graphs[key] = entry
            while len(self.graphs) > self.max_graphs:
                self.graphs.popitem(last=False)
        else:
            self.graphs.move_to_end(key)
        for k, v in inputs.items():
            entry.inputs[k].copy_(v)
        entry.graph.replay()
        self.replays += 1
        return _clone_out(entry.out)


def tensor_signature(tensors):
    return tuple((k, tuple(v.shape), v.dtype, v.device.type) for k, v in sorted(tensors.items()))


def batch_bucket(count):
    """The batch size graphs are captured for: the next power of two (1, 2, 4, 8, …)."""
    size = 1
    while size < count:
        size *= 2
    return size


def _pad(value, count, size):
    """Repeats the last row of a batch-`count` tensor up to `size` rows (other tensors unchanged)."""
    if size == count or value.dim() == 0 or value.shape[0] != count:
        return value
    return torch.cat([value, value[-1:].expand(size - count, *value.shape[1:])])


class UnetGraphWrapper:
    """`model_options["model_function_wrapper"]`: `apply_model` as a CUDA graph.

    Batches are padded to the next power of two (1, 2, 4, 8, …) and the padding cut off the result, so dynamic
    batching needs one graph per size and bucket rather than one per batch size.
    """

    def __init__(self, max_graphs=16):
        self.runner = GraphRunner("GenimageCudaGraph", max_graphs)

    def __call__(self, apply_model, args):
        x = args["input"]
        t = args["timestep"]
        c = args["c"]
        options = c.get("transformer_options", {})
        extra = {k: v for k, v in c.items() if k != "transformer_options"}
        eager = lambda: apply_model(x, t, **c)  # noqa: E731
        if not (torch.is_tensor(x) and x.is_cuda and torch.is_tensor(t)) or not all(torch.is_tensor(v) for v in extra.values()):
            return eager()
        base = getattr(apply_model, "__self__", None)
        fingerprint = weights_fingerprint(getattr(base, "diffusion_model", None), base)
        count = x.shape[0]
        size = batch_bucket(count)
        inputs = {k: _pad(v, count, size) for k, v in {"x": x, "t": t, **{f"c.{k}": v for k, v in extra.items()}}.items()}
        names = list(extra)

        def fn(static):
            graph_options = dict(options)
            graph_options["sigmas"] = static["t"]
            return apply_model(
                static["x"], static["t"], transformer_options=graph_options, **{k: static[f"c.{k}"] for k in names}
            )

        out = self.runner.run(tensor_signature(inputs), fingerprint, fn, inputs, x.device, eager)
        return out[:count] if torch.is_tensor(out) and out.shape[0] == size != count else out


class EncoderGraphForward:
    """Replacement `forward` of one CLIP encoder (`CLIPEncoder.forward(x, mask, intermediate_output)`)."""

    def __init__(self, encoder, name, max_graphs=16):
        self.encoder = encoder
        self.original = type(encoder).forward
        self.runner = GraphRunner(f"GenimageCudaGraphClip {name}", max_graphs)

    def __call__(self, x, mask=None, intermediate_output=None):
        eager = lambda: self.original(self.encoder, x, mask=mask, intermediate_output=intermediate_output)  # noqa: E731
        if not (torch.is_tensor(x) and x.is_cuda) or (mask is not None and not torch.is_tensor(mask)):
            return eager()
        if not isinstance(intermediate_output, (int, type(None))):
            return eager()
        inputs = {"x": x} if mask is None else {"x": x, "mask": mask}
        key = (tensor_signature(inputs), intermediate_output)

        def fn(static):
            return self.original(self.encoder, static["x"], mask=static.get("mask"), intermediate_output=intermediate_output)

        return self.runner.run(key, weights_fingerprint(self.encoder), fn, inputs, x.device, eager)


class RowwiseConv:
    """Replacement `forward` of one UNet convolution (exact batches, exact.py): a batch runs one latent at a time.

    cuDNN chooses convolution kernels by batch size, and kernels differ in rounding: on the H200 the first convolution
    of the SDXL UNet already differed by 2.4e-4 between a batch of 1 and a batch of 8 (bench/gpu/batch_diff.py), while
    its linear layers, attention and norms gave the same row either way. Run one latent at a time, a batched request
    gets the latents it would get alone. Inside the CUDA graph the extra launches cost no CPU time.
    """

    def __init__(self, module):
        self.module = module
        self.original = type(module).forward

    def __call__(self, x, *args, **kwargs):
        if not torch.is_tensor(x) or x.dim() != 4 or x.shape[0] == 1:
            return self.original(self.module, x, *args, **kwargs)
        return torch.cat([self.original(self.module, x[i : i + 1], *args, **kwargs) for i in range(x.shape[0])])


class GenimageCudaGraph:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {}),
                "max_graphs": ("INT", {"default": 16, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"
    CATEGORY = "advanced/model"
    DESCRIPTION = "Replays the diffusion model as a CUDA graph per input shape (launch overhead gone; same kernels)."

    def patch(self, model, max_graphs=16):
        patched = model.clone()
        patched.set_model_unet_function_wrapper(UnetGraphWrapper(max_graphs))
        unet = getattr(model.model, "diffusion_model", None)
        if unet is not None and exact_batches():
            for path, module in unet.named_modules():
                if isinstance(module, torch.nn.Conv2d):
                    patched.add_object_patch(f"diffusion_model.{path}.forward", RowwiseConv(module))
        return (patched,)


class GenimageCudaGraphClip:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "clip": ("CLIP", {}),
                "max_graphs": ("INT", {"default": 16, "min": 1, "max": 64}),
            }
        }

    RETURN_TYPES = ("CLIP",)
    FUNCTION = "patch"
    CATEGORY = "advanced/conditioning"
    DESCRIPTION = "Replays the text encoders' transformer layers as CUDA graphs (launch overhead gone; same kernels)."

    def patch(self, clip, max_graphs=16):
        patched = clip.clone()
        model = patched.cond_stage_model
        for path, module in model.named_modules():
            if type(module).__name__ == "CLIPEncoder":
                patched.patcher.add_object_patch(f"{path}.forward", EncoderGraphForward(module, path, max_graphs))
        return (patched,)

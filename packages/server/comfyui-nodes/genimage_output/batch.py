"""Dynamic batching: several requests of one size and step count run as one ComfyUI prompt (the bridge builds it).

- GenimageBatchTextEncode (CLIP, texts → CONDITIONING): one conditioning row per text, in order. Prompts of one
  77-token section each go through one ComfyUI `encode_from_tokens` call, with one section per prompt. With exact
  batches (exact.py, the default) each encoder then runs its sections one at a time, so a row is computed by the
  kernels it gets alone (a batch-1 CUDA graph replay each); else as one batch. Other prompts (long prompts,
  `(word:1.2)` weights) are encoded one by one and repeated to a common length, as ComfyUI itself does when it
  batches conditionings of different lengths. All texts equal: one row, which ComfyUI repeats over the batch.
- GenimageBatchSampler: SamplerCustom with one seed per latent: item i gets the initial noise `prepare_noise` makes for
  its own seed on a one-image latent, and ancestral samplers draw item i's per-step noise from a generator seeded
  like ComfyUI's default noise sampler for that seed. So each image is the one its request gets when run alone
  (exactly with exact batches; else up to the floating-point differences of batched kernels).

The output node (GenimageOutput) sends one frame per image with its `index`; the bridge hands frame i to request i.
Texts and seeds travel as JSON arrays in STRING inputs.
"""

import inspect
import json
import math

import torch

import comfy.sample
import comfy.samplers
import comfy.utils
import latent_preview

from .cudagraph import batch_bucket
from .exact import exact_batches


def _json_list(text, kind, name):
    values = json.loads(text)
    if not isinstance(values, list) or not values or not all(isinstance(v, kind) for v in values):
        raise ValueError(f"{name} must be a non-empty JSON array of {kind.__name__}")
    return values


def _one_section(tokens):
    """True when every encoder got exactly one section with all weights 1.0 (batchable as rows)."""
    return all(len(sections) == 1 and all(pair[1] == 1.0 for pair in sections[0]) for sections in tokens.values())


def _concat(values):
    """Joins the per-row outputs of one encoder (tensors on dim 0, dicts key by key, None stays None)."""
    first = values[0]
    if torch.is_tensor(first):
        return torch.cat(values)
    if isinstance(first, dict):
        return {key: _concat([value[key] for value in values]) for key in first}
    return first


def _one_row_at_a_time(encode):
    """`encode(sections)` run on each section alone and joined: the rows an encoder gives each prompt on its own."""

    def run(sections):
        outs = [encode([section]) for section in sections]
        return tuple(_concat([out[i] for out in outs]) for i in range(len(outs[0])))

    return run


def _encode_rows(clip, token_list, exact):
    """One encode call: each prompt is one 'section', split back into rows (`exact`: each encoder runs them one by one)."""
    count = len(token_list)
    # Batched rows are padded to a graph bucket; exact rows run one at a time, so no padding.
    padded = token_list if exact else token_list + [token_list[-1]] * (batch_bucket(count) - count)
    merged = {key: [tokens[key][0] for tokens in padded] for key in token_list[0]}
    captured = {}
    hooked = []
    for name, module in clip.cond_stage_model.named_children():
        if hasattr(module, "encode_token_weights") and hasattr(module, "encode"):
            original = _one_row_at_a_time(module.encode) if exact else module.encode

            def capture(tokens, _original=original, _name=name):
                out = _original(tokens)
                captured[_name] = out[1]
                return out

            module.encode = capture
            hooked.append(module)
    try:
        out = clip.encode_from_tokens(merged, return_pooled=True, return_dict=True)
    finally:
        for module in hooked:
            del module.encode
    cond = out.pop("cond")
    rows = len(padded)
    if cond.shape[0] != 1 or cond.shape[1] % rows != 0:
        raise RuntimeError(f"unexpected batched conditioning shape {tuple(cond.shape)} for {rows} prompts")
    cond = cond.reshape(rows, cond.shape[1] // rows, cond.shape[2])[:count]
    first = out.get("pooled_output")
    if first is not None:
        source = next(
            (p for p in captured.values() if p is not None and torch.equal(p[:1].to(first.device), first)), None
        )
        if source is None:
            raise RuntimeError("could not find the per-prompt pooled output")
        out["pooled_output"] = source[:count].to(first.device)
    return cond, out


def _encode_each(clip, token_list):
    conds, pooled, extra = [], [], {}
    for tokens in token_list:
        out = clip.encode_from_tokens(tokens, return_pooled=True, return_dict=True)
        conds.append(out.pop("cond"))
        pooled.append(out.pop("pooled_output", None))
        extra = out
    length = math.lcm(*(cond.shape[1] for cond in conds))
    cond = torch.cat([c.repeat(1, length // c.shape[1], 1) for c in conds])
    if all(p is not None for p in pooled):
        extra["pooled_output"] = torch.cat(pooled)
    return cond, extra


class GenimageBatchTextEncode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"clip": ("CLIP", {}), "texts": ("STRING", {"multiline": True, "default": '[""]'})}}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "encode"
    CATEGORY = "conditioning"
    DESCRIPTION = "Encodes a JSON array of prompts into one conditioning batch, one row per prompt, in order."

    def encode(self, clip, texts):
        items = _json_list(texts, str, "texts")
        if len(set(items)) == 1:
            return (clip.encode_from_tokens_scheduled(clip.tokenize(items[0])),)
        token_list = [clip.tokenize(text) for text in items]
        if all(_one_section(tokens) for tokens in token_list):
            cond, extra = _encode_rows(clip, token_list, exact_batches())
        else:
            cond, extra = _encode_each(clip, token_list)
        return ([[cond, extra]],)


def _per_item_noise_sampler(x, seeds):
    """Like k-diffusion's default_noise_sampler(x, seed), once per item with its own seed and generator."""
    generators = []
    for seed in seeds:
        generator = torch.Generator(device=x.device)
        generator.manual_seed(seed + 1 if x.device == torch.device("cpu") else seed)
        generators.append(generator)
    shape = (1,) + tuple(x.shape[1:])

    def sample(sigma, sigma_next):
        return torch.cat(
            [torch.randn(shape, dtype=x.dtype, layout=x.layout, device=x.device, generator=g) for g in generators]
        )

    return sample


def _per_item_sampler(sampler, seeds):
    function = getattr(sampler, "sampler_function", None)
    if function is None or "noise_sampler" not in inspect.signature(function).parameters:
        return sampler

    def run(model, x, sigmas, *args, **kwargs):
        if kwargs.get("noise_sampler") is None:
            kwargs["noise_sampler"] = _per_item_noise_sampler(x, seeds)
        return function(model, x, sigmas, *args, **kwargs)

    return comfy.samplers.KSAMPLER(run, sampler.extra_options, sampler.inpaint_options)


class GenimageBatchSampler:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL", {}),
                "add_noise": ("BOOLEAN", {"default": True}),
                "seeds": ("STRING", {"multiline": True, "default": "[0]"}),
                "cfg": ("FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01}),
                "positive": ("CONDITIONING", {}),
                "negative": ("CONDITIONING", {}),
                "sampler": ("SAMPLER", {}),
                "sigmas": ("SIGMAS", {}),
                "latent_image": ("LATENT", {}),
            }
        }

    RETURN_TYPES = ("LATENT", "LATENT")
    RETURN_NAMES = ("output", "denoised_output")
    FUNCTION = "sample"
    CATEGORY = "sampling/custom_sampling"
    DESCRIPTION = "SamplerCustom with one seed per latent of the batch (a JSON array), each as if sampled alone."

    def sample(self, model, add_noise, seeds, cfg, positive, negative, sampler, sigmas, latent_image):
        seeds = _json_list(seeds, int, "seeds")
        latent = latent_image.copy()
        samples = comfy.sample.fix_empty_latent_channels(model, latent_image["samples"])
        latent["samples"] = samples
        if samples.shape[0] != len(seeds):
            raise ValueError(f"{len(seeds)} seeds for a batch of {samples.shape[0]} latents")
        if add_noise:
            noise = torch.cat([comfy.sample.prepare_noise(samples[i : i + 1], s) for i, s in enumerate(seeds)])
        else:
            noise = torch.zeros(samples.size(), dtype=samples.dtype, layout=samples.layout, device="cpu")
        x0_output = {}
        callback = latent_preview.prepare_callback(model, sigmas.shape[-1] - 1, x0_output)
        result = comfy.sample.sample_custom(
            model,
            noise,
            cfg,
            _per_item_sampler(sampler, seeds),
            sigmas,
            positive,
            negative,
            samples,
            noise_mask=latent.get("noise_mask"),
            callback=callback,
            disable_pbar=not comfy.utils.PROGRESS_BAR_ENABLED,
            seed=seeds[0],
        )
        out = latent.copy()
        out["samples"] = result
        denoised = out
        if "x0" in x0_output:
            denoised = latent.copy()
            denoised["samples"] = model.model.process_latent_out(x0_output["x0"].cpu())
        return (out, denoised)

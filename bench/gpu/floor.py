# Copied from shared/gpu/floor.py: the in-process floor (CLIP / one sampler step / VAE / PNG) under ComfyUI's path.
# Times the pure model pieces of the seed workflow in one process (no HTTP, no PNG): the floor for ComfyUI's path
import sys, time, torch
import os
sys.path.insert(0, os.environ.get("COMFYUI_DIR", "ComfyUI"))
import comfy.sd, comfy.sample, comfy.samplers, comfy.model_management as mm, comfy.utils
import nodes
ckpt = sys.argv[1]
torch.set_grad_enabled(False)
torch.inference_mode().__enter__()
t0 = time.perf_counter()
model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(ckpt, output_vae=True, output_clip=True)
print(f"load_checkpoint {time.perf_counter()-t0:.2f}s")
def ev(fn, n=20):
    for _ in range(3): fn()
    torch.cuda.synchronize(); ts = []
    for _ in range(n):
        s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); torch.cuda.synchronize(); ts.append(s.elapsed_time(e))
    ts.sort(); return ts[len(ts)//2]
def enc(): 
    tokens = clip.tokenize("beautiful landscape scenery glass bottle with a galaxy inside")
    return clip.encode_from_tokens_scheduled(tokens)
pos = enc(); neg = clip.encode_from_tokens_scheduled(clip.tokenize("text, watermark"))
print(f"clip encode p50 {ev(enc):.1f} ms")
for W in (512, 1024):
    lat = torch.zeros([1, 4, W//8, W//8])
    sampler = comfy.samplers.sampler_object("euler_ancestral")
    sigmas = comfy.samplers.calculate_sigmas(model.get_model_object("model_sampling"), "sgm_uniform", 10)[-2:]  # 1 step
    def samp():
        noise = comfy.sample.prepare_noise(lat, 0)
        return comfy.sample.sample_custom(model, noise, 1.0, sampler, sigmas, pos, neg, lat, disable_pbar=True, seed=0)
    out = samp()
    print(f"{W}x{W} 1-step sample (unet) p50 {ev(samp):.1f} ms")
    dec = lambda: vae.decode(out)
    img = dec()
    print(f"{W}x{W} vae decode p50 {ev(dec):.1f} ms")
    import numpy as np
    from PIL import Image
    import io
    arr = (255.*img[0].float().detach().cpu().numpy()).clip(0,255).astype(np.uint8)
    def png(level):
        b = io.BytesIO(); Image.fromarray(arr).save(b, format="PNG", compress_level=level); return b.tell()
    for lvl in (4, 1):
        t = time.perf_counter(); n = png(lvl); dt = (time.perf_counter()-t)*1000
        print(f"{W}x{W} PNG encode level {lvl} (noise image) {dt:.1f} ms {n} bytes")
# raw matmul peak for reference
a = torch.randn(8192, 8192, device="cuda", dtype=torch.float16); b = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
ms = ev(lambda: a @ b, 10); print(f"fp16 matmul {2*8192**3/ms/1e9:.0f} TFLOP/s")

"""Records what a ComfyUI sends for a fixed list of scenarios (the ones packages/server/test/comfyui-transcript.test.ts
replays on the fake), with the GenimageOutput node installed and the SDXL checkpoint of the server's
workflows/sdxl-turbo available.

    python3 record.py [--base http://127.0.0.1:8188] [--out DIR]

Writes DIR/transcript.jsonl (one JSON object per event, `transcript` lines hold the WebSocket messages) and
DIR/object_info.json. Needs aiohttp and Pillow (both ComfyUI dependencies). Condense with condense.ts.
"""
import argparse, asyncio, base64, copy, io, json, os, struct, time, uuid
import aiohttp
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--base", default="http://127.0.0.1:8188")
parser.add_argument("--out", default=os.environ.get("OUT", "."))
parser.add_argument("--workflow", default=os.path.join(here, "..", "..", "..", "server", "workflows", "sdxl-turbo", "workflow.json"))
parser.add_argument("--img2img-workflow", default=os.path.join(here, "..", "..", "..", "server", "workflows", "sdxl-turbo-img2img", "workflow.json"))
options = parser.parse_args()
BASE = options.base
OUT = options.out
WF = json.load(open(options.workflow))
WF_IMG2IMG = json.load(open(options.img2img_workflow))
lines = []


def record(kind, **data):
    data["kind"] = kind
    data["t"] = round(time.time() * 1000)
    lines.append(data)


def frame_info(b):
    event = struct.unpack(">I", b[:4])[0]
    info = {"event": event, "length": len(b)}
    image = None
    if event == 1:
        info["format"] = struct.unpack(">I", b[4:8])[0]
        image = b[8:]
    elif event in (4, 0x47454E49):
        n = struct.unpack(">I", b[4:8])[0]
        info["meta"] = json.loads(b[8 : 8 + n])
        image = b[8 + n :]
    if image is not None:
        try:
            im = Image.open(io.BytesIO(image))
            info["decoded"] = [im.format, im.width, im.height]
        except Exception as e:  # noqa
            info["decoded"] = repr(e)
    return info


async def listen(session, client_id, flags, sink, ready):
    async with session.ws_connect(f"{BASE}/ws?clientId={client_id}", max_msg_size=0) as ws:
        if flags:
            await ws.send_str(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        ready.set()
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                sink.append({"text": msg.data})
            elif msg.type == aiohttp.WSMsgType.BINARY:
                sink.append({"binary": frame_info(msg.data)})


def graph(fmt="png", steps=1, seed=1, w=512, h=512, output=None, prompt="a lighthouse"):
    g = copy.deepcopy(WF)
    g["6"]["inputs"]["text"] = prompt
    g["5"]["inputs"].update(width=w, height=h)
    g["22"]["inputs"]["steps"] = steps
    g["13"]["inputs"]["noise_seed"] = seed
    g["27"]["inputs"]["format"] = fmt
    if output is not None:
        g["27"] = output
    return g


def picture_base64(w=96, h=64):
    """A small PNG (a red to blue gradient), base64, as the bridge sends an image-to-image input."""
    image = Image.new("RGB", (w, h))
    image.putdata([(255 * x // w, 64, 255 * y // h) for y in range(h) for x in range(w)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def img2img_graph(picture, steps=2, strength=0.5, seed=21, w=512, h=512, amount=1, prompt="a lighthouse, watercolor"):
    """The img2img workflow as the bridge fills it: steps = floor(strength * steps), denoise = strength."""
    g = copy.deepcopy(WF_IMG2IMG)
    g["6"]["inputs"]["text"] = prompt
    g["40"]["inputs"]["image"] = picture
    g["41"]["inputs"].update(width=w, height=h)
    g["22"]["inputs"].update(steps=int(strength * steps + 1e-9), denoise=strength)
    g["13"]["inputs"]["noise_seed"] = seed
    g["5"]["inputs"]["amount"] = amount
    return g


async def run(session, sink, name, g, client_id, interrupt_after_progress=False, prompt_id=None):
    start = len(sink)
    pid = prompt_id or str(uuid.uuid4())
    t0 = time.time()
    async with session.post(f"{BASE}/prompt", json={"prompt": g, "client_id": client_id, "prompt_id": pid}) as r:
        body = await r.text()
        record("post_prompt", name=name, status=r.status, body=body)
    if r.status != 200:
        return pid
    interrupted = False
    while True:
        await asyncio.sleep(0.002)
        new = sink[start:]
        if interrupt_after_progress and not interrupted and any('"progress"' in m.get("text", "") for m in new):
            async with session.post(f"{BASE}/interrupt", json={"prompt_id": pid}) as r:
                record("interrupt", name=name, status=r.status)
            interrupted = True
        if any(('"executing"' in m.get("text", "") and '"node": null' in m["text"] and pid in m["text"]) for m in new):
            break
        if time.time() - t0 > 120:
            record("timeout", name=name)
            break
    record("transcript", name=name, prompt_id=pid, ms=round((time.time() - t0) * 1000), messages=sink[start:])
    async with session.get(f"{BASE}/history/{pid}") as r:
        record("history", name=name, body=await r.json())
    return pid


async def main():
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(f"{BASE}/system_stats") as r:
                    if r.status == 200:
                        record("system_stats", body=await r.json())
                        break
            except Exception:
                pass
            await asyncio.sleep(0.25)
        info = {}
        for c in ["CheckpointLoaderSimple", "CLIPTextEncode", "EmptyLatentImage", "KSamplerSelect", "SDTurboScheduler",
                  "SamplerCustom", "VAEDecode", "SaveImage", "SaveImageWebsocket", "GenimageOutput", "ImageScale",
                  "VAEEncode", "RepeatLatentBatch", "GenimageLoadImage", "Nope"]:
            async with session.get(f"{BASE}/object_info/{c}") as r:
                info[c] = await r.json()
        json.dump(info, open(os.path.join(OUT, "object_info.json"), "w"), indent=1)

        sink = []
        ready = asyncio.Event()
        task = asyncio.create_task(listen(session, "probe", False, sink, ready))
        await ready.wait()
        await asyncio.sleep(0.2)
        record("connect", messages=list(sink))
        await run(session, sink, "warm-png-2steps", graph("png", steps=2, seed=1), "probe")
        await run(session, sink, "png-1step", graph("png", steps=1, seed=2), "probe")
        await run(session, sink, "jpeg-1step-640x384", graph("jpeg", steps=1, seed=3, w=640, h=384), "probe")
        await run(session, sink, "webp-3steps", graph("webp", steps=3, seed=4), "probe")
        await run(session, sink, "same-again-webp", graph("webp", steps=3, seed=4), "probe")
        await run(session, sink, "saveimagewebsocket", graph(seed=5, output={"class_type": "SaveImageWebsocket", "inputs": {"images": ["8", 0]}}), "probe")
        await run(session, sink, "saveimage", graph(seed=6, output={"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "probe/x"}}), "probe")
        await run(session, sink, "interrupt-1024-4steps", graph(steps=4, seed=7, w=1024, h=1024), "probe", interrupt_after_progress=True)
        await run(session, sink, "invalid-steps-11", graph(steps=11, seed=8), "probe")
        bad = graph(seed=9)
        bad["20"]["inputs"]["ckpt_name"] = "missing.safetensors"
        await run(session, sink, "invalid-ckpt", bad, "probe")
        # Queue semantics: two prompts, delete the second while the first runs.
        pid_a, pid_b = str(uuid.uuid4()), str(uuid.uuid4())
        start = len(sink)
        async with session.post(f"{BASE}/prompt", json={"prompt": graph(steps=4, seed=10, w=1024, h=1024), "client_id": "probe", "prompt_id": pid_a}) as r:
            record("post_prompt", name="queue-a", status=r.status, body=await r.text())
        async with session.post(f"{BASE}/prompt", json={"prompt": graph(seed=11), "client_id": "probe", "prompt_id": pid_b}) as r:
            record("post_prompt", name="queue-b", status=r.status, body=await r.text())
        async with session.get(f"{BASE}/queue") as r:
            q = await r.json()
            record("queue", running=[i[1] for i in q["queue_running"]], pending=[i[1] for i in q["queue_pending"]], item_len=[len(i) for i in q["queue_running"]], extra=q["queue_running"][0][3] if q["queue_running"] else None)
        async with session.post(f"{BASE}/queue", json={"delete": [pid_b]}) as r:
            record("queue_delete", status=r.status, text=await r.text(), content_type=r.headers.get("content-type"))
        async with session.post(f"{BASE}/interrupt", json={"prompt_id": pid_b}) as r:
            record("interrupt_not_running", status=r.status)
        for _ in range(2000):
            await asyncio.sleep(0.005)
            if any('"node": null' in m.get("text", "") and pid_a in m["text"] for m in sink[start:]):
                break
        record("transcript", name="queue-delete", messages=sink[start:])
        async with session.get(f"{BASE}/history/{pid_b}") as r:
            record("history", name="deleted-b", body=await r.json())
        task.cancel()

        # Feature flags: SaveImageWebsocket as type 4, ours unchanged; reconnect catch-up.
        sink2 = []
        ready2 = asyncio.Event()
        task2 = asyncio.create_task(listen(session, "probe2", True, sink2, ready2))
        await ready2.wait()
        await asyncio.sleep(0.2)
        record("connect-flags", messages=list(sink2))
        await run(session, sink2, "flags-saveimagewebsocket", graph(seed=12, output={"class_type": "SaveImageWebsocket", "inputs": {"images": ["8", 0]}}), "probe2")
        await run(session, sink2, "flags-genimage-png", graph("png", seed=13), "probe2")
        # No client_id: what goes to everybody?
        start = len(sink2)
        pid = str(uuid.uuid4())
        async with session.post(f"{BASE}/prompt", json={"prompt": graph("png", seed=14), "prompt_id": pid}) as r:
            record("post_prompt", name="no-client-id", status=r.status, body=await r.text())
        await asyncio.sleep(3)
        record("transcript", name="no-client-id", messages=sink2[start:])
        async with session.get(f"{BASE}/history/{pid}") as r:
            record("history", name="no-client-id", body=await r.json())
        # Image-to-image (workflows/sdxl-turbo-img2img): one picture, and a picture that does not decode.
        await run(session, sink2, "img2img-png-2steps", img2img_graph(picture_base64()), "probe2")
        await run(session, sink2, "img2img-undecodable", img2img_graph(base64.b64encode(b"not a picture").decode()), "probe2")
        task2.cancel()
        async with session.post(f"{BASE}/history", json={"delete": [pid]}) as r:
            record("history_delete", status=r.status, content_type=r.headers.get("content-type"))
        async with session.get(f"{BASE}/history?max_items=2") as r:
            record("history_list_keys", keys=list((await r.json()).keys()))
        async with session.post(f"{BASE}/prompt", data="not json") as r:
            record("post_prompt_bad_json", status=r.status, body=(await r.text())[:300])
        async with session.get(f"{BASE}/view?filename=nope.png") as r:
            record("view_missing", status=r.status)
    with open(os.path.join(OUT, "transcript.jsonl"), "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")


asyncio.run(main())

import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMFY_LAUNCHER, defaultComfyNodesDir } from '../src/comfyui/index.js'

const run = promisify(execFile)
const python = process.env.PYTHON ?? 'python3'
let root: string

// A package that records its own import: stands in for torchvision, whose import costs ≈ 5 s of ComfyUI's boot.
const heavyPackage = {
  '__init__.py': 'import builtins\nbuiltins.HEAVY_IMPORTS = getattr(builtins, "HEAVY_IMPORTS", 0) + 1\nVALUE = 42\n',
  'io/__init__.py': 'from heavy import VALUE\ndef encode(): return VALUE + 1\n',
  'device.py': 'import builtins\nbuiltins.DEVICE_IMPORTS = getattr(builtins, "DEVICE_IMPORTS", 0) + 1\nKIND = "cpu"\n',
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'genimage-launcher-'))
  for (const [path, text] of Object.entries(heavyPackage)) {
    await mkdir(join(root, 'site', 'heavy', path, '..'), { recursive: true })
    await writeFile(join(root, 'site', 'heavy', path), text)
  }
})
afterAll(() => rm(root, { recursive: true, force: true }))

/** Runs python with the custom node folder and the stand-in package on the path; returns stdout's last line as JSON. */
async function python3(code: string, cwd = root): Promise<Record<string, unknown>> {
  const env = { ...process.env, PYTHONPATH: `${join(defaultComfyNodesDir(), 'genimage_output')}:${join(root, 'site')}` }
  const { stdout } = await run(python, ['-c', code], { cwd, env })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

const report = 'import builtins, json\nreport = lambda **kw: print(json.dumps(kw))\n'

describe('lazy_imports (ComfyUI starts without importing torchvision)', () => {
  it('binds the module at import and runs its code only on first use', async () => {
    const out = await python3(
      `${report}import lazy_imports\ndeferred = lazy_imports.install(("heavy", "no_such_package"))\nimport heavy\nbefore = getattr(builtins, "HEAVY_IMPORTS", 0)\nvalue = heavy.VALUE\nreport(deferred=deferred, before=before, after=builtins.HEAVY_IMPORTS, value=value)`,
    )
    expect(out).toEqual({ deferred: ['heavy'], before: 0, after: 1, value: 42 })
  })

  it("survives torch's inspect.getmodule scans of sys.modules without importing", async () => {
    const out = await python3(
      `${report}import lazy_imports, inspect, sys\nlazy_imports.install(("heavy",))\nimport heavy\ninspect.getmodule(print)\nfile_known = hasattr(sys.modules["heavy"], "__file__")\nreport(imports=getattr(builtins, "HEAVY_IMPORTS", 0), file_known=file_known)`,
    )
    expect(out).toEqual({ imports: 0, file_known: true })
  })

  it.each([
    ['import heavy.io as io', 'io.encode()'],
    ['from heavy import io', 'io.encode()'],
    ['from heavy.io import encode', 'encode()'],
  ])('defers `%s` too, and imports the package once on `%s`', async (statement, use) => {
    const out = await python3(
      `${report}import lazy_imports\nlazy_imports.install(("heavy",))\n${statement}\nbefore = getattr(builtins, "HEAVY_IMPORTS", 0)\nencoded = ${use}\nimport heavy\nreport(before=before, encoded=encoded, value=heavy.VALUE, imports=builtins.HEAVY_IMPORTS)`,
    )
    expect(out).toEqual({ before: statement.startsWith('from heavy.io') ? 1 : 0, encoded: 43, value: 42, imports: 1 })
  })
})

describe('launch.py (the entry the supervisor runs when LAZY_IMPORTS is on)', () => {
  it("runs ComfyUI's main.py as __main__ with the same arguments, from the ComfyUI folder", async () => {
    const comfy = join(root, 'ComfyUI')
    await mkdir(join(comfy, 'custom_nodes'), { recursive: true })
    await cp(join(defaultComfyNodesDir(), 'genimage_output'), join(comfy, 'custom_nodes', 'genimage_output'), {
      recursive: true,
    })
    await writeFile(
      join(comfy, 'main.py'),
      'import json, os, sys\nif __name__ == "__main__":\n    print(json.dumps({"argv": sys.argv[1:], "main": os.path.basename(sys.argv[0]), "comfy_on_path": sys.path[0] == os.path.dirname(os.path.abspath(__file__))}))\n',
    )
    const { stdout } = await run(python, [COMFY_LAUNCHER, '--listen', '127.0.0.1', '--port', '8188'], { cwd: comfy })
    expect(JSON.parse(stdout.trim())).toEqual({
      argv: ['--listen', '127.0.0.1', '--port', '8188'],
      main: 'main.py',
      comfy_on_path: true,
    })
  })
})

describe('cuda_preinit (the CUDA driver starts on a thread while ComfyUI imports)', () => {
  it('leaves the driver alone when ComfyUI is told which device to use, since that sets CUDA_VISIBLE_DEVICES later', async () => {
    const argvs = [
      ['--cuda-device', '1'],
      ['--cuda-device=1'],
      ['--default-device', '2'],
      ['--cpu'],
      ['--listen', '127.0.0.1', '--port', '8188'],
    ]
    const out = await python3(
      `${report}import cuda_preinit\nthreads = [cuda_preinit.start(argv) for argv in ${JSON.stringify(argvs)}]\nfor t in threads:\n    t and t.join(30)\nreport(started=[t is not None for t in threads], finished=all(t is None or not t.is_alive() for t in threads))`,
    )
    expect(out).toEqual({ started: [false, false, false, false, true], finished: true })
  })
})

describe("gpu_prewarm (the first prompt's GPU kernels load while ComfyUI imports)", () => {
  it('hands over the module once its code has run, once, and leaves the import as it was', async () => {
    const out = await python3(
      `${report}import gpu_prewarm\nseen = []\ngpu_prewarm.run_after_import("heavy.device", lambda m: seen.append((m.__name__, m.KIND, builtins.DEVICE_IMPORTS)))\nimport heavy.device\nimport importlib\nimportlib.reload(heavy.device)\nfrom heavy import io\nreport(seen=seen, kind=heavy.device.KIND, imports=builtins.DEVICE_IMPORTS, io=io.encode())`,
    )
    expect(out).toEqual({ seen: [['heavy.device', 'cpu', 1]], kind: 'cpu', imports: 2, io: 43 })
  })

  it('leaves a device that is not CUDA alone, and ends quietly when the GPU work fails', async () => {
    // A stand-in torch that fails on first use, as a broken CUDA setup would; the prewarm must not raise.
    const out = await python3(
      `${report}import gpu_prewarm, logging, sys, types\nlogging.basicConfig(level=logging.INFO, stream=sys.stderr)\nused = []\nclass Torch(types.ModuleType):\n    def __getattr__(self, name):\n        used.append(name)\n        raise RuntimeError("CUDA error: no kernel image")\nsys.modules["torch"] = Torch("torch")\ndevice = lambda kind: types.SimpleNamespace(get_torch_device=lambda: types.SimpleNamespace(type=kind))\ngpu_prewarm._prewarm(device("cpu"))\ncpu = list(used)\ngpu_prewarm._prewarm(device("cuda"))\nreport(cpu=cpu, cuda=len(used) > 0)`,
    )
    expect(out).toEqual({ cpu: [], cuda: true })
  })
})

describe('fast_load (the checkpoint read straight to the GPU)', () => {
  // A safetensors file by hand: two tensors and metadata, as the format describes it.
  const makeFile = `import json, struct
header = {"a": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 12]}, "b": {"dtype": "F32", "shape": [], "data_offsets": [12, 16]}, "__metadata__": {"format": "pt"}}
text = json.dumps(header).encode()
open("tiny.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + bytes(range(16)))
`
  // Stand-ins for ComfyUI's modules: the loader records what it was asked, the device is chosen per test.
  const comfyStubs = (deviceKind: string) => `import sys, types
calls = []
comfy = types.ModuleType("comfy"); comfy.__path__ = []
sd = types.ModuleType("comfy.sd"); utils = types.ModuleType("comfy.utils"); mm = types.ModuleType("comfy.model_management")
utils.load_torch_file = lambda ckpt, safe_load=False, device=None, return_metadata=False: calls.append(("comfyui", ckpt)) or (({}, None) if return_metadata else {})
sd.load_checkpoint_guess_config = lambda path, **kw: sys.modules["comfy.utils"].load_torch_file(path, return_metadata=True)
mm.get_torch_device = lambda: types.SimpleNamespace(type=${JSON.stringify(deviceKind)})
comfy.sd, comfy.utils, comfy.model_management = sd, utils, mm
sys.modules.update({"comfy": comfy, "comfy.sd": sd, "comfy.utils": utils, "comfy.model_management": mm})
`
  const loadPackage = `import importlib.util, os, sys, types
pkg = types.ModuleType("gi"); pkg.__path__ = [os.environ["NODES"]]; sys.modules["gi"] = pkg
def load(name):
    spec = importlib.util.spec_from_file_location(f"gi.{name}", os.path.join(os.environ["NODES"], f"{name}.py"))
    module = importlib.util.module_from_spec(spec); sys.modules[spec.name] = module; spec.loader.exec_module(module); return module
fast_load = load("fast_load")
`
  const runFast = async (code: string, env: Record<string, string> = {}) => {
    const nodes = join(defaultComfyNodesDir(), 'genimage_output')
    const { stdout } = await run(python, ['-c', `${report}${makeFile}${loadPackage}${code}`], {
      cwd: root,
      env: { ...process.env, NODES: nodes, ...env },
    })
    return JSON.parse(stdout.trim().split('\n').at(-1)!)
  }

  it('reads the header: each tensor with its dtype, shape and byte range in the file, and the metadata', async () => {
    const out = await runFast(
      'import os\nfd = os.open("tiny.safetensors", os.O_RDONLY)\ntensors, metadata = fast_load.read_header(fd)\nreport(tensors=tensors, metadata=metadata, size=os.path.getsize("tiny.safetensors"))',
    )
    // The data follows the 8-byte length and the header: the file's last 16 bytes.
    const base = out.size - 16
    expect(out.metadata).toEqual({ format: 'pt' })
    expect(out.tensors).toEqual({ a: ['F16', [2, 3], base, base + 12], b: ['F32', [], base + 12, base + 16] })
  })

  it('reads only a well-formed file itself: sizes that match the shapes, inside the file, not overlapping', async () => {
    const out = await runFast(
      `import os, types
fd = os.open("tiny.safetensors", os.O_RDONLY)
size = os.path.getsize("tiny.safetensors")
tensors, _ = fast_load.read_header(fd)
torch = types.SimpleNamespace(float16=types.SimpleNamespace(itemsize=2), float32=types.SimpleNamespace(itemsize=4))
a, b = tensors["a"], tensors["b"]
cases = {
    "as written": tensors,
    "file cut short": None,
    "shape larger than its bytes": {**tensors, "a": ("F16", [2, 4], a[2], a[3])},
    "overlapping": {**tensors, "b": ("F32", [], a[2], a[2] + 4)},
    "unknown dtype": {**tensors, "b": ("F4", [], b[2], b[3])},
    "negative dimension": {**tensors, "a": ("F16", [-2, -3], a[2], a[3])},
}
report(**{name: fast_load._well_formed(torch, t or tensors, size if t is not None else size - 1) for name, t in cases.items()})`,
    )
    expect(out).toEqual({
      'as written': true,
      'file cut short': false,
      'shape larger than its bytes': false,
      overlapping: false,
      'unknown dtype': false,
      'negative dimension': false,
    })
  })

  it("leaves ComfyUI's load alone for other devices and other files, and when GENIMAGE_FAST_LOAD is off", async () => {
    const code = `${comfyStubs('cpu')}installed = fast_load.install()
import comfy.sd, comfy.utils
comfy.sd.load_checkpoint_guess_config("tiny.safetensors")
comfy.utils.load_torch_file("lora.safetensors")
report(installed=installed, calls=calls)`
    expect(await runFast(code)).toEqual({
      installed: true,
      calls: [
        ['comfyui', 'tiny.safetensors'],
        ['comfyui', 'lora.safetensors'],
      ],
    })
    expect(await runFast(code, { GENIMAGE_FAST_LOAD: 'off' })).toEqual({
      installed: false,
      calls: [
        ['comfyui', 'tiny.safetensors'],
        ['comfyui', 'lora.safetensors'],
      ],
    })
  })

  it("falls back to ComfyUI's own load, with a warning, when the fast read fails on a CUDA device", async () => {
    // No torch here: the fast read fails the way a broken CUDA setup would, and ComfyUI's load still runs.
    const out = await runFast(
      `${comfyStubs('cuda')}import logging, io\nlog = io.StringIO()\nlogging.basicConfig(stream=log, level=logging.WARNING)\nfast_load.install()\nimport comfy.sd\nresult = comfy.sd.load_checkpoint_guess_config("tiny.safetensors")\nreport(calls=calls, result=[dict(result[0]), result[1]], warned="fast checkpoint load failed" in log.getvalue())`,
    )
    expect(out).toEqual({ calls: [['comfyui', 'tiny.safetensors']], result: [{}, null], warned: true })
  })
})

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

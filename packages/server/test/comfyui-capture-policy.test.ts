import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultComfyNodesDir } from '../src/comfyui/index.js'

const run = promisify(execFile)
const python = process.env.PYTHON ?? 'python3'
let root: string

// The node modules under test, as a package of their own (the real package's __init__ needs ComfyUI), beside stand-ins
// for torch (capturing fails at once, as it would on a machine without CUDA) and ComfyUI's `server` module.
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'genimage-capture-policy-'))
  await mkdir(join(root, 'nodes'), { recursive: true })
  for (const file of ['cudagraph.py', 'exact.py', 'env_flag.py', 'capture_policy.py']) {
    await cp(join(defaultComfyNodesDir(), 'genimage_output', file), join(root, 'nodes', file))
  }
  await writeFile(join(root, 'nodes', '__init__.py'), '')
  await mkdir(join(root, 'torch'), { recursive: true })
  await writeFile(
    join(root, 'torch', '__init__.py'),
    'class _Cuda:\n    def Stream(self, device=None):\n        raise RuntimeError("no CUDA here")\ncuda = _Cuda()\n',
  )
})
afterAll(() => rm(root, { recursive: true, force: true }))

/** A `server` module whose prompt queue runs one prompt with this `extra_data` (Python literal), or none. */
const serverWith = (extraData: string | undefined) =>
  extraData === undefined
    ? ''
    : [
        'import sys, types',
        'class _Queue:',
        '    def get_current_queue_volatile(self):',
        `        return [(1, "prompt-1", {}, ${extraData}, [])], []`,
        'server = types.ModuleType("server")',
        'server.PromptServer = type("PromptServer", (), {})',
        'server.PromptServer.instance = server.PromptServer()',
        'server.PromptServer.instance.prompt_queue = _Queue()',
        'sys.modules["server"] = server',
        '',
      ].join('\n')

/** Runs one GraphRunner call for a shape without a graph; reports what happened, as JSON. */
async function firstUse(extraData: string | undefined): Promise<Record<string, unknown>> {
  const code = `${serverWith(extraData)}
import json, logging
logging.disable(logging.CRITICAL)
from nodes.capture_policy import captures_allowed
from nodes.cudagraph import GraphRunner
runner = GraphRunner("test")
result = runner.run(("512x512",), ("cuda", 1), lambda static: "replayed", {}, "cuda", lambda: "eager")
print(json.dumps({"allowed": captures_allowed(), "result": result, "tried_capture": ("512x512",) in runner.failed}))
`
  const { stdout } = await run(python, ['-c', code], { cwd: root, env: { ...process.env, PYTHONPATH: root } })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

describe('capture_policy (prompts that must not wait for a CUDA graph capture)', () => {
  it('runs a shape without a graph eager, uncaptured, in a prompt whose extra_data asks for replays only', async () => {
    expect(await firstUse('{"genimage_graphs": "replay", "client_id": "x"}')).toEqual({
      allowed: false,
      result: 'eager',
      tried_capture: false,
    })
  })

  it.each([
    ['a prompt without the key', '{"client_id": "x"}'],
    ['a prompt asking for something else', '{"genimage_graphs": "capture"}'],
    ['a prompt whose extra_data is not a dict', '"replay"'],
    ['outside ComfyUI (no server module)', undefined],
  ])('captures on first use in %s', async (_case, extraData) => {
    // The stand-in torch cannot capture, so a capture attempt shows as a shape marked failed (and an eager result).
    expect(await firstUse(extraData)).toEqual({ allowed: true, result: 'eager', tried_capture: true })
  })
})

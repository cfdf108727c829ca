/**
 * Stand-in for `sharp` (native, not on the GPU machine) with the calls the contract suite's `images.ts` makes:
 * `sharp(bytes).metadata()` → `{format, width, height}`, `sharp(bytes).removeAlpha().raw().toBuffer()` → RGB samples,
 * and `sharp({ create: { width, height, channels: 3, background | noise } }).png().toBuffer()` → a PNG. python3 with
 * Pillow and numpy (both on the GPU machine) does the work; an image is fully decoded, so a truncated or corrupt file
 * fails as it would with sharp. `build.mjs` aliases `sharp` here.
 * @module
 */
import { spawn } from 'node:child_process'

const SCRIPTS = {
  metadata: [
    'import io, sys',
    'from PIL import Image',
    'im = Image.open(io.BytesIO(sys.stdin.buffer.read()))',
    'im.load()',
    'sys.stdout.write(f"{im.format.lower()} {im.width} {im.height}")',
  ],
  raw: [
    'import io, sys',
    'from PIL import Image',
    'im = Image.open(io.BytesIO(sys.stdin.buffer.read()))',
    'sys.stdout.buffer.write(im.convert("RGB").tobytes())',
  ],
  create: [
    'import io, json, sys',
    'import numpy as np',
    'from PIL import Image',
    'spec = json.loads(sys.stdin.read())',
    'w, h = spec["width"], spec["height"]',
    'if "noise" in spec:',
    '    rng = np.random.default_rng(8)',
    '    n = spec["noise"]',
    '    pixels = np.clip(rng.normal(n["mean"], n["sigma"], (h, w, 3)), 0, 255).astype(np.uint8)',
    'else:',
    '    b = spec["background"]',
    '    pixels = np.full((h, w, 3), (b["r"], b["g"], b["b"]), dtype=np.uint8)',
    'out = io.BytesIO()',
    'Image.fromarray(pixels, "RGB").save(out, format="PNG")',
    'sys.stdout.buffer.write(out.getvalue())',
  ],
}

function python(script: keyof typeof SCRIPTS, input: Uint8Array | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PYTHON ?? 'python3', ['-c', SCRIPTS[script].join('\n')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`Input buffer has corrupt or unsupported data: ${err.trim()}`))
      resolve(Buffer.concat(out))
    })
    child.stdin.end(input)
  })
}

interface Create {
  width: number
  height: number
  channels: 3
  background?: { r: number; g: number; b: number }
  noise?: { type: 'gaussian'; mean: number; sigma: number }
}

export default function sharp(source: Uint8Array | { create: Create }) {
  if (!(source instanceof Uint8Array)) {
    const spec = JSON.stringify(source.create)
    return { png: () => ({ toBuffer: () => python('create', spec) }) }
  }
  const raw = { toBuffer: () => python('raw', source) }
  return {
    metadata: async () => {
      const [format, width, height] = (await python('metadata', source)).toString().split(' ')
      return { format, width: Number(width), height: Number(height) }
    },
    removeAlpha: () => ({ raw: () => raw }),
    raw: () => raw,
  }
}

/**
 * Stand-in for `sharp` (native, not on the GPU machine) with the one call the contract suite makes:
 * `sharp(bytes).metadata()` → `{format, width, height}`. The image is fully decoded by python3 + Pillow (both are on
 * the GPU machine), so a truncated or corrupt file fails as it would with sharp. `build.mjs` aliases `sharp` here.
 * @module
 */
import { spawn } from 'node:child_process'

const DECODE = [
  'import io, sys',
  'from PIL import Image',
  'im = Image.open(io.BytesIO(sys.stdin.buffer.read()))',
  'im.load()',
  'print(im.format.lower(), im.width, im.height)',
].join('\n')

function decode(bytes: Uint8Array): Promise<{ format: string; width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PYTHON ?? 'python3', ['-c', DECODE], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const [format, width, height] = out.trim().split(/\s+/)
      if (code !== 0 || !format) return reject(new Error(`Input buffer has corrupt or unsupported data: ${err.trim()}`))
      resolve({ format, width: Number(width), height: Number(height) })
    })
    child.stdin.end(bytes)
  })
}

export default function sharp(bytes: Uint8Array) {
  return { metadata: () => decode(bytes) }
}

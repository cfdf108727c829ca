import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createClient } from '@genimage/client'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeImage } from '../contract/images.js'
import { REPO_ROOT } from '../contract/server-target.js'
import { killAll, spawnCollecting } from './processes.js'

afterEach(() => killAll())

describe('npm start', () => {
  it('serves images from the synthetic backend when no ComfyUI is configured, and says so first', async () => {
    // `npm start` builds, then runs this binary (PORT=0: any free port); tests run after `npm run build` (`npm test`).
    const bin = join(REPO_ROOT, 'packages/server/bin/genimage-server.js')
    if (!existsSync(join(REPO_ROOT, 'packages/server/dist/main.js'))) {
      throw new Error('packages/server/dist is missing: run `npm run build` before this test')
    }
    const env: Record<string, string> = { PORT: '0' }
    for (const name of ['COMFYUI_DIR', 'COMFYUI_URL', 'LOG_LEVEL', 'HOST']) env[name] = ''
    const server = spawnCollecting(process.execPath, [bin], env)

    const first = JSON.parse(await server.line(() => true)) as { msg: string; backend: string; url: string }
    expect(first.backend).toBe('synthetic')
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(first.msg).toContain(`genimage server on ${first.url}`)
    expect(first.msg).toMatch(/synthetic backend \(no ComfyUI configured: set COMFYUI_DIR or COMFYUI_URL/)

    const client = createClient({ baseUrl: first.url })
    const result = await client.generate({ prompt: 'hello from npm start', width: 640, height: 384 })
    const file = await fetch(result.image.url)
    expect(file.headers.get('content-type')).toBe('image/png')
    expect(await decodeImage(new Uint8Array(await file.arrayBuffer()))).toEqual({
      format: 'png',
      width: 640,
      height: 384,
    })
  })
})

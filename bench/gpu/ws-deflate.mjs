// What permessage-deflate costs on the bridge's WebSocket: ComfyUI's aiohttp server (web.WebSocketResponse(), which
// accepts permessage-deflate when offered) sends incompressible frames of image sizes to a `ws` client, with the
// extension offered (ws's default) and not (what packages/server/src/comfyui/socket.ts does). Needs python3 with
// aiohttp (ComfyUI's requirement) and the repo's node_modules.
//
//   node bench/gpu/ws-deflate.mjs      → prints a table; the numbers are in docs/gpu-benchmarks.md
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { WebSocket } from 'ws'

const SERVER = `
import os, sys
from aiohttp import web
cache = {}
async def handler(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        n = int(msg.data)
        cache.setdefault(n, os.urandom(n))
        await ws.send_bytes(cache[n])
    return ws
app = web.Application()
app.router.add_get('/ws', handler)
web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)
`
const port = 18000 + Math.floor(Math.random() * 1000)
const server = spawn('python3', ['-c', SERVER, String(port)], { stdio: 'inherit' })
try {
  let ws
  for (let i = 0; i < 50 && !ws; i += 1) {
    await sleep(100)
    ws = await new Promise((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`)
      socket.once('open', () => {
        socket.close()
        resolve(socket)
      })
      socket.once('error', () => resolve(undefined))
    })
  }
  const sizes = [147_000, 637_000, 2_500_000] // JPEG q90 512², PNG L1 512², PNG L1 1024² of the benchmark's noise images
  console.log('| frame bytes | permessage-deflate negotiated: p50 | off: p50 |')
  console.log('| --- | --- | --- |')
  const results = {}
  for (const deflate of [true, false]) {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: deflate })
    await new Promise((resolve) => socket.once('open', resolve))
    if ((socket.extensions !== '') !== deflate)
      throw new Error(`expected deflate ${deflate}, got "${socket.extensions}"`)
    for (const n of sizes) {
      const times = []
      for (let i = 0; i < 25; i += 1) {
        const started = performance.now()
        socket.send(String(n))
        await new Promise((resolve) => socket.once('message', resolve))
        times.push(performance.now() - started)
      }
      times.sort((a, b) => a - b)
      results[n] = { ...results[n], [deflate]: times[12].toFixed(1) }
    }
    socket.close()
  }
  for (const n of sizes) console.log(`| ${n} | ${results[n].true} ms | ${results[n].false} ms |`)
} finally {
  server.kill()
}

// 1,000 mocked 512×512 generate() calls through msw/node, side by side with two baselines in one run:
// the msw floor (a static JSON handler answering raw fetch) and the genimage mock answering raw fetch, the variants
// taking turns within each round.
// Usage: npm run build && node bench/mocks/run.mjs [calls=1000] [rounds=5]
import { createClient } from '@genimage/client'
import { createGenimageMock } from '@genimage/mocks'
import { getResponse, HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { median, printTable, writeResult } from '../lib.mjs'

const calls = Number(process.argv[2] ?? 1000)
const rounds = Number(process.argv[3] ?? 5)
const baseUrl = 'http://bench.genimage.test'
const body = (index) => ({ prompt: `bench prompt ${index}`, width: 512, height: 512 })

const staticAnswer = {
  image: {
    url: `${baseUrl}/files/x.png`,
    content_type: 'image/png',
    file_name: 'x.png',
    file_size: 1,
    width: 512,
    height: 512,
  },
  seed: 1,
  timings: { queue_ms: 0, inference_ms: 0, encode_ms: 0, total_ms: 0 },
}

const rawFetch = async (index) => {
  const response = await fetch(`${baseUrl}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body(index)),
  })
  await response.json()
}

/** The core app answering `Request` objects directly: what the mock costs without msw and fetch. */
const directApp = () => {
  let handlers
  return {
    handlers: () => {
      handlers = createGenimageMock({ baseUrl }).handlers
      return []
    },
    call: () => async (index) => {
      const request = new Request(`${baseUrl}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(index)),
      })
      const response = await getResponse(handlers, request)
      await response.json()
    },
  }
}

const variants = [
  { name: 'genimage mock, no fetch (getResponse)', ...directApp() },
  {
    name: 'msw floor: static handler + fetch',
    handlers: () => [http.post(`${baseUrl}/generate`, () => HttpResponse.json(staticAnswer))],
    call: () => rawFetch,
  },
  { name: 'genimage mock + fetch', handlers: () => createGenimageMock({ baseUrl }).handlers, call: () => rawFetch },
  {
    name: 'genimage mock + @genimage/client',
    handlers: () => createGenimageMock({ baseUrl }).handlers,
    call: () => {
      const client = createClient({ baseUrl })
      return (index) => client.generate(body(index))
    },
  },
]

// Variants take turns within each round (the order rotating), so that a machine whose load changes during the run
// (a shared VM) slows every variant alike: the ratios compare calls made at the same time.
const prepared = variants.map((variant) => ({ variant, server: setupServer(...variant.handlers()), totals: [] }))
for (const entry of prepared) {
  entry.call = entry.variant.call()
  entry.server.listen({ onUnhandledFrame: 'error' })
  for (let index = 0; index < 50; index += 1) await entry.call(index) // warm-up
  entry.server.close()
}
for (let round = 0; round < rounds; round += 1) {
  for (let turn = 0; turn < prepared.length; turn += 1) {
    const entry = prepared[(round + turn) % prepared.length]
    entry.server.listen({ onUnhandledFrame: 'error' })
    const started = performance.now()
    for (let index = 0; index < calls; index += 1) await entry.call(round * calls + index)
    entry.totals.push(performance.now() - started)
    entry.server.close()
  }
}
const results = prepared.map(({ variant, totals }) => ({
  variant: variant.name,
  calls,
  rounds,
  median_total_ms: median(totals),
  per_call_ms: median(totals) / calls,
  totals_ms: totals,
}))

const floor = results.find((r) => r.variant.startsWith('msw floor')).median_total_ms
printTable(
  results.map((r) => ({
    variant: r.variant,
    [`${calls} calls, median of ${rounds} (ms)`]: r.median_total_ms.toFixed(0),
    'per call (ms)': r.per_call_ms.toFixed(3),
    'vs msw floor': `${(r.median_total_ms / floor).toFixed(2)}×`,
  })),
)
console.log(
  `wrote ${await writeResult('mocked-generate', { benchmark: 'mocked-generate', image: '512x512 png', results })}`,
)

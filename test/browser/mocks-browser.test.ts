import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundlePage, launchChromium, serveFiles } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))
let browser: Browser
let page: Page
let site: Awaited<ReturnType<typeof serveFiles>>

beforeAll(async () => {
  const script = await bundlePage(join(here, 'fixtures/mocks-page.ts'))
  site = await serveFiles(
    {
      '/index.html': '<!doctype html><html><body><script type="module" src="/page.js"></script></body></html>',
      '/page.js': script,
    },
    join(here, '../../node_modules/msw/lib'),
  )
  browser = await launchChromium()
  page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(site.origin)
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 }).catch((error) => {
    throw new Error(`page did not start: ${errors.join('; ') || error.message}`)
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
})

describe('@genimage/mocks/browser in Chromium', () => {
  it.each([
    ['png', 'image/png', 768, 512],
    ['jpeg', 'image/jpeg', 256, 1024],
    ['webp', 'image/webp', 512, 264],
  ])(
    'generate() returns a %s image that the browser decodes at the requested size',
    async (format, contentType, width, height) => {
      const result = await page.evaluate(
        (input) => (window as unknown as { generate(i: unknown): Promise<unknown> }).generate(input),
        { prompt: `a ${format} in the browser`, output_format: format, width, height },
      )
      expect(result).toEqual({ contentType, naturalWidth: width, naturalHeight: height })
    },
  )

  it('subscribe() follows the queue over SSE through the service worker and reports each step of the default mock', async () => {
    const result = await page.evaluate(() =>
      (window as unknown as { subscribe(i: unknown): Promise<unknown> }).subscribe({
        prompt: 'steps',
        num_inference_steps: 3,
      }),
    )
    expect(result).toMatchObject({ naturalWidth: 512, naturalHeight: 512 })
    expect((result as { steps: number[] }).steps).toEqual([0, 1, 2, 3])
  })

  it('worker.use() scenarios surface as typed client errors', async () => {
    const result = await page.evaluate(() => (window as unknown as { rateLimited(): Promise<string> }).rateLimited())
    expect(result).toBe('RateLimitError 429')
  })
})

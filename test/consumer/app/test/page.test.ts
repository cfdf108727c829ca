import { readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The page under page/, built by vite into a scratch folder with msw's worker from public/, served on a free port and
// opened in the system Chromium.
const app = fileURLToPath(new URL('..', import.meta.url))
const outDir = join(tmpdir(), `genimage-consumer-page-${process.pid}`)
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.png': 'image/png' }
let server: Server
let origin: string
let browser: Browser

beforeAll(async () => {
  await build({
    root: join(app, 'page'),
    publicDir: join(app, 'public'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  })
  server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    const file = normalize(join(outDir, path === '/' ? 'index.html' : path))
    const body = file.startsWith(outDir) ? await readFile(file).catch(() => undefined) : undefined
    response.writeHead(body ? 200 : 404, { 'content-type': types[extname(file)] ?? 'application/octet-stream' })
    response.end(body ?? 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
  await rm(outDir, { recursive: true, force: true })
})

const open = async (query = ''): Promise<Page> => {
  const page = await (await browser.newContext()).newPage()
  await page.goto(`${origin}/${query}`)
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 })
  return page
}

describe('the page in Chromium, with the MSW service worker', () => {
  it('shows each step, then the image at its size', async () => {
    const page = await open()
    await page.click('#generate')
    await page.waitForSelector('#image:not([hidden])', { timeout: 15_000 })
    await page.waitForFunction(() => (document.getElementById('image') as HTMLImageElement).complete)
    const size = await page.$eval('#image', (img) => [
      (img as HTMLImageElement).naturalWidth,
      (img as HTMLImageElement).naturalHeight,
    ])
    expect(size).toEqual([384, 256])
    // Each finished step once, in order; a `0/4` (started, nothing done yet) may come first.
    const seen = await page.$$eval('#progress li', (items) => items.map((item) => item.textContent))
    expect(seen.filter((text) => text !== '0/4')).toEqual(['1/4', '2/4', '3/4', '4/4'])
  }, 30_000)

  it('tells the user which field to fix when the API rejects the request', async () => {
    const page = await open('?scenario=invalid')
    await page.click('#generate')
    await page.waitForFunction(() => document.getElementById('error')?.textContent !== '', undefined, {
      timeout: 15_000,
    })
    expect(await page.textContent('#error')).toBe('Please check width.')
    expect(await page.isHidden('#image')).toBe(true)
  }, 30_000)
})

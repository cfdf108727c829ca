import { mkdir, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createGenimageServer, type GenimageServer, loadConfig } from '@genimage/server'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, statusSeen, watchStatus } from './harness.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const app = join(root, 'examples/web')
const screenshot = join(root, 'test-results/playground.png')
let server: GenimageServer
let url: string
let browser: Browser
let page: Page
const apiCalls: string[] = []

beforeAll(async () => {
  // What `npm start` serves at `/`: the web example built into examples/web/dist (rebuilt, so it is current).
  await build({ root: app, configFile: join(app, 'vite.config.ts'), logLevel: 'silent' })
  const request = loadConfig([], { HOST: '127.0.0.1', LOG_LEVEL: 'silent', SYNTHETIC_STEP_MS: '150' })
  if (request.action !== 'run') throw new Error(`unexpected ${request.action}`)
  server = createGenimageServer({ ...request.config, port: 0 })
  url = await server.listen()
  await server.ready
  browser = await launchChromium()
  page = await browser.newPage()
  page.on('request', (sent) => {
    const { pathname } = new URL(sent.url())
    if (/^\/(generate|queue|files)\b/.test(pathname)) apiCalls.push(`${sent.method()} ${pathname}`)
  })
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(`${url}/`)
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 }).catch((error) => {
    throw new Error(`the playground did not start: ${errors.join('; ') || error.message}`)
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('the playground at / of the genimage server', () => {
  it('runs against this server, not the mocks', async () => {
    expect(await page.textContent('#api-mode')).toBe('genimage server (this origin)')
    const workers = await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)
    expect(workers).toBe(0)
  })

  it('generates an image at the chosen size through the real queue, with progress', async () => {
    await watchStatus(page)
    await page.fill('#prompt', 'a red fox in the snow')
    await page.selectOption('#width', '640')
    await page.selectOption('#height', '832')
    await page.selectOption('#steps', '4')
    await page.fill('#seed', '1234')
    await page.click('#generate')
    await page.waitForSelector('#result:not([hidden])', { timeout: 30_000 })
    const image = await page.$eval('#image', (element: HTMLImageElement) => ({
      src: element.src,
      naturalWidth: element.naturalWidth,
      naturalHeight: element.naturalHeight,
    }))
    expect(image).toMatchObject({ naturalWidth: 640, naturalHeight: 832 })
    expect(image.src.startsWith(`${url}/files/`)).toBe(true)
    expect(await page.textContent('#image-meta')).toMatch(/^640×832 · image\/png · .* · seed 1234$/)
    const seen = await statusSeen(page)
    expect(seen.filter((text) => /^Step [1-4] of 4$/.test(text)).length).toBeGreaterThan(0)
    expect(apiCalls).toEqual(expect.arrayContaining(['POST /queue/generate', expect.stringMatching(/^GET \/files\//)]))
    await mkdir(dirname(screenshot), { recursive: true })
    await page.screenshot({ path: screenshot, fullPage: true })
    expect((await stat(screenshot)).size).toBeGreaterThan(0)
  })

  it('still answers the API next to it', async () => {
    const health = await page.evaluate(async () => (await fetch('/health')).json())
    expect(health).toEqual({ status: 'ok' })
  })
})

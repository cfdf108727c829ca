import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, serveFiles, statusSeen, watchStatus } from './harness.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const app = join(root, 'examples/web')
const screenshot = join(root, 'test-results/example-web.png')
let outDir: string
let site: Awaited<ReturnType<typeof serveFiles>>
let browser: Browser

beforeAll(async () => {
  // The production build, exactly as `npm run build -w @genimage/example-web` makes it, in a scratch directory.
  outDir = await mkdtemp(join(tmpdir(), 'example-web-'))
  await build({
    root: app,
    configFile: join(app, 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  })
  site = await serveFiles({ '/index.html': await readFile(join(outDir, 'index.html'), 'utf8') }, outDir)
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  if (outDir) await rm(outDir, { recursive: true, force: true })
})

/** Opens the app (in a fresh context, so each test gets its own service worker) and waits for it to be ready. */
const open = async (query = ''): Promise<Page> => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(`${site.origin}/${query}`)
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 }).catch((error) => {
    throw new Error(`the app did not start: ${errors.join('; ') || error.message}`)
  })
  return page
}

/** Records every text the status line shows, as the user would see it change. */
describe('examples/web in Chromium, on the mocks', () => {
  it('generates an image of the chosen size, showing progress and timings', async () => {
    const page = await open()
    expect(await page.textContent('#api-mode')).toMatch(/Mocked API/)
    await watchStatus(page)
    await page.fill('#prompt', 'a lighthouse at dawn, watercolor')
    await page.selectOption('#width', '768')
    await page.selectOption('#height', '384')
    await page.selectOption('#steps', '4')
    await page.click('#generate')
    await page.waitForSelector('#result:not([hidden])', { timeout: 30_000 })
    const size = await page.$eval('#image', (image: HTMLImageElement) => ({
      complete: image.complete,
      naturalWidth: image.naturalWidth,
      naturalHeight: image.naturalHeight,
    }))
    expect(size).toEqual({ complete: true, naturalWidth: 768, naturalHeight: 384 })
    expect(await page.textContent('#image-meta')).toMatch(/^768×384 · image\/png · .* KiB · seed \d+$/)
    expect(await page.textContent('#timings')).toMatch(/Queue\d+ msInference\d+ msEncode\d+ msTotal\d+ ms/)
    const seen = await statusSeen(page)
    expect(seen.filter((text) => /^Step [1-4] of 4$/.test(text)).length).toBeGreaterThan(0)
    expect(seen.at(-1)).toBe('Done')
    await mkdir(dirname(screenshot), { recursive: true })
    await page.screenshot({ path: screenshot, fullPage: true })
    expect((await stat(screenshot)).size).toBeGreaterThan(0)
    await page.context().close()
  })

  it('cancels a running generation and says so', async () => {
    const page = await open()
    await page.fill('#prompt', 'to be cancelled')
    await page.selectOption('#steps', '4')
    await page.click('#generate')
    await page.waitForFunction(() => /^Step [1-3] of 4$/.test(document.getElementById('status')!.textContent ?? ''))
    await page.click('#cancel')
    await page.waitForSelector('#error:not([hidden])')
    expect(await page.textContent('#error')).toBe('Cancelled.')
    expect(await page.isHidden('#result')).toBe(true)
    expect(await page.isEnabled('#generate')).toBe(true)
    await page.context().close()
  })

  it('points at the field the server rejected', async () => {
    const page = await open('?scenario=validationError')
    await page.fill('#prompt', 'an invalid width')
    await page.click('#generate')
    await page.waitForSelector('#error:not([hidden])')
    expect(await page.textContent('#error')).toMatch(/^Width: .*multiple of 8/)
    expect(await page.getAttribute('#width', 'aria-invalid')).toBe('true')
    await page.context().close()
  })

  it('after a validation error, shows neither "Done" nor the previous image', async () => {
    const page = await open()
    await page.fill('#prompt', 'a first image')
    await page.click('#generate')
    await page.waitForSelector('#result:not([hidden])', { timeout: 30_000 })
    expect(await page.textContent('#status')).toBe('Done')
    await page.fill('#seed', '-1')
    await page.click('#generate')
    await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 })
    expect(await page.textContent('#error')).toMatch(/^Seed: .*greater than or equal to 0/)
    expect(await page.textContent('#status')).toBe('')
    expect(await page.isHidden('#result')).toBe(true)
    await page.fill('#seed', '')
    await page.fill('#prompt', '')
    await page.click('#generate')
    expect(await page.textContent('#error')).toBe('Write a prompt first: what should the image show?')
    expect(await page.textContent('#status')).toBe('')
    await page.context().close()
  })

  it('tells the user when to retry when the queue is full', async () => {
    const page = await open('?scenario=rateLimited')
    await page.fill('#prompt', 'a busy day')
    await page.click('#generate')
    await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 })
    expect(await page.textContent('#error')).toBe('The queue is full. Try again in 120 s.')
    await page.context().close()
  })

  it('starts from an uploaded picture (sent as a data: URI in image_url) and shows the result', async () => {
    const page = await open()
    // A 1×1 red PNG, as if picked in the file dialog.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
      'base64',
    )
    const sent: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST') sent.push(request.postData() ?? '')
    })
    await page.fill('#prompt', 'the same, as a watercolor')
    await page.setInputFiles('#picture', { name: 'red.png', mimeType: 'image/png', buffer: png })
    await page.fill('#strength', '0.75')
    await page.click('#generate')
    await page.waitForSelector('#result:not([hidden])', { timeout: 30_000 })
    const body = JSON.parse(sent.find((text) => text.includes('image_url'))!) as Record<string, unknown>
    expect(body).toMatchObject({ image_url: `data:image/png;base64,${png.toString('base64')}`, strength: 0.75 })
    // Steps 1 with strength 0.75 would sample no step: the page leaves the count to the server.
    expect(body).not.toHaveProperty('num_inference_steps')
    expect(await page.textContent('#image-meta')).toMatch(/^512×512 · image\/png/)
    await page.context().close()
  })

  it('refuses a picture that is not a PNG, JPEG or WebP before calling the API', async () => {
    const page = await open()
    await page.fill('#prompt', 'from a gif')
    await page.setInputFiles('#picture', { name: 'cat.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') })
    await page.click('#generate')
    await page.waitForSelector('#error:not([hidden])')
    expect(await page.textContent('#error')).toBe('Choose a PNG, JPEG or WebP picture (cat.gif is image/gif)')
    await page.context().close()
  })

  it('asks for a prompt before calling the API', async () => {
    const page = await open()
    await page.click('#generate')
    expect(await page.textContent('#error')).toBe('Write a prompt first: what should the image show?')
    expect(await page.getAttribute('#prompt', 'aria-invalid')).toBe('true')
    await page.context().close()
  })
})

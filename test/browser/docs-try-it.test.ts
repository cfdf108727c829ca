import { type MockHttpServer, startMockHttpServer } from '@genimage/mocks/node'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from './harness.js'

let mock: MockHttpServer
let browser: Browser
let page: Page
const elsewhere: string[] = []
const apiCalls: string[] = []

beforeAll(async () => {
  mock = await startMockHttpServer({ port: 0 })
  browser = await launchChromium()
  page = await browser.newPage()
  page.on('request', (sent) => {
    const url = sent.url()
    if (!url.startsWith(mock.url) && !url.startsWith('data:')) elsewhere.push(url)
    if (new URL(url).pathname === '/generate') apiCalls.push(`${sent.method()} /generate`)
  })
  await page.goto(`${mock.url}/docs`)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await mock?.close()
})

describe('/docs of genimage-mock in Chromium', () => {
  it('is Scalar’s reference, served from the installed package, with request examples', async () => {
    const testRequest = page.getByRole('button', { name: /Test Request/ }).first()
    await testRequest.waitFor({ timeout: 30_000 })
    expect(await page.$('#static')).toBeNull()
    expect(await page.getByRole('button', { name: 'Shell' }).count()).toBeGreaterThan(0)
  })

  it('"try it" sends the example request to this server and shows its answer', async () => {
    await page
      .getByRole('button', { name: /Test Request/ })
      .first()
      .click()
    await page.getByRole('button', { name: /^Send/ }).first().click()
    await expect.poll(() => apiCalls, { timeout: 30_000 }).toEqual(['POST /generate'])
    const dialog = page.locator('[role=dialog]').first()
    await expect.poll(async () => (await dialog.textContent()) ?? '', { timeout: 30_000 }).toMatch(/Status:\s*200/)
    expect(await dialog.textContent()).toContain(`${mock.url}/files/synthetic-`)
  })

  it('fetches nothing from anywhere else (offline: no fonts, telemetry or registry)', () => {
    expect(elsewhere).toEqual([])
  })
})

import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { build } from 'esbuild'
import { type Browser, chromium, type Page } from 'playwright-core'
import { requireCommand } from '../prerequisites.js'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
}

/** Where Debian's chromium lives; CI installs it with apt. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Launches the system Chromium headless with the flags this network needs (no background traffic). */
export async function launchChromium(): Promise<Browser> {
  requireCommand(CHROMIUM_PATH, 'the browser tests', 'apt-get install chromium (or set CHROMIUM_PATH)')
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Bundles a page entry for the browser, resolving workspace packages to their sources. */
export async function bundlePage(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    conditions: ['genimage-source', 'browser'],
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

/** Serves in-memory files plus files from `directory` on a free port; returns its origin and a close function. */
export async function serveFiles(
  files: Record<string, string>,
  directory?: string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    const inline = files[path === '/' ? '/index.html' : path]
    if (inline !== undefined) {
      response.writeHead(200, { 'content-type': contentTypes[extname(path) || '.html'] ?? 'text/plain' })
      response.end(inline)
      return
    }
    if (directory) {
      const file = normalize(join(directory, path))
      if (file.startsWith(directory)) {
        try {
          const body = await readFile(file)
          response.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' })
          response.end(body)
          return
        } catch {}
      }
    }
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Records every text the web example's `#status` line shows, so a test can assert the progress it displayed. */
export const watchStatus = (page: Page): Promise<void> =>
  page.evaluate(() => {
    const seen: string[] = []
    const status = document.getElementById('status')!
    new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, {
      childList: true,
      characterData: true,
      subtree: true,
    })
    ;(window as unknown as { statusSeen: string[] }).statusSeen = seen
  })

/** The `#status` texts recorded since {@link watchStatus}. */
export const statusSeen = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen)

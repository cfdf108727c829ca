import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type MockHttpServer, startMockHttpServer } from '@genimage/mocks/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Plain `node` runs these files from the installed packages: no vitest transform and no bundler in between.
const run = async (file: string, ...args: string[]) => {
  const { stdout } = await promisify(execFile)(process.execPath, [
    fileURLToPath(new URL(file, import.meta.url)),
    ...args,
  ])
  return JSON.parse(stdout) as Record<string, unknown>
}

let open: MockHttpServer
let keyed: MockHttpServer
beforeAll(async () => {
  open = await startMockHttpServer({ port: 0 })
  keyed = await startMockHttpServer({ port: 0, apiKeys: ['k-consumer'] })
})
afterAll(async () => {
  await open?.close()
  await keyed?.close()
})

describe('the installed packages under plain Node', () => {
  it("CommonJS: require('@genimage/client') generates, and errors are typed", async () => {
    expect(await run('../fixtures/require.cjs', open.url)).toEqual({
      width: 320,
      height: 256,
      invalid: 'ValidationError',
    })
  })

  it('ESM: every entry point imports, and the proxy adds the key the browser never sees', async () => {
    expect(await run('../fixtures/import.mjs', keyed.url, 'k-consumer')).toEqual({
      width: 256,
      height: 384,
      withoutKey: true,
    })
  })
})

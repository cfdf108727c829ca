import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')

/** The first `ts` block after `heading` in the root README. */
async function readmeBlock(heading: string): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf(heading))
  const block = /```ts\n([\s\S]*?)```/.exec(section)
  if (!block?.[1]) throw new Error(`no ts block under "${heading}" in README.md`)
  return block[1]
}

it('the root README mock example runs as written, well inside a test runner timeout', async () => {
  const code = await readmeBlock('## Test your app with the mocks')
  // The same modules the published imports name, resolved to this checkout's sources; vitest itself is replaced by
  // a recorder that runs the example's hooks and tests in order.
  const imports: Record<string, string> = {
    '@genimage/client': join(root, 'packages/client/src/index.ts'),
    '@genimage/mocks/node': join(root, 'packages/mocks/src/node.ts'),
    vitest: join(import.meta.dirname, 'fixtures/readme-harness.ts'),
  }
  const rewritten = code.replace(/from '([^']+)'/g, (whole, name: string) =>
    imports[name] ? `from '${imports[name]}'` : whole,
  )
  expect(rewritten.match(/from '\//g)).toHaveLength(3)
  const dir = await mkdtemp(join(tmpdir(), 'genimage-readme-'))
  try {
    const file = join(dir, 'example.ts')
    await writeFile(file, rewritten)
    await import(/* @vite-ignore */ file)
    const { runRegistered } = await import('./fixtures/readme-harness.js')
    const started = performance.now()
    const ran = await runRegistered()
    const elapsed = performance.now() - started
    expect(ran).toEqual(['generates an image, reporting every step', 'shows a friendly message when the API is busy'])
    expect(elapsed).toBeLessThan(2000)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

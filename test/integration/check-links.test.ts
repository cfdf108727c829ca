import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const script = join(root, 'scripts/check-links.mjs')
const run = (dir?: string) =>
  promisify(execFile)(process.execPath, dir ? [script, dir] : [script]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  )

const scratch = await mkdtemp(join(tmpdir(), 'genimage-links-'))
afterAll(() => rm(scratch, { recursive: true, force: true }))

describe('scripts/check-links.mjs (npm run lint)', () => {
  it('passes on every Markdown file of the repository', async () => {
    expect(await run()).toEqual({ code: 0, stderr: '' })
  })

  it('names each missing file and missing heading, and ignores code and external links', async () => {
    await mkdir(join(scratch, 'docs'))
    await mkdir(join(scratch, 'node_modules'))
    await writeFile(join(scratch, 'docs/b.md'), '# B\n\n## Real one\n')
    await writeFile(join(scratch, 'node_modules/x.md'), '[x](gone.md)\n')
    await writeFile(
      join(scratch, 'README.md'),
      [
        '# Top',
        '## Two `words`, here',
        '[ok](docs/b.md#real-one) [ok](#two-words-here) [ok](https://example.com/x.md) `[code](gone.md)`',
        '[gone](docs/missing.md) [bad anchor](docs/b.md#unreal)',
        '```',
        '[fenced](gone.md)',
        '```',
      ].join('\n'),
    )
    const { code, stderr } = await run(scratch)
    expect(code).toBe(1)
    expect(stderr.trim().split('\n')).toEqual([
      'README.md:4: docs/missing.md → docs/missing.md does not exist',
      'README.md:4: docs/b.md#unreal → no heading #unreal in docs/b.md',
      `check-links: 2 broken link(s) in Markdown under ${scratch}`,
    ])
  })
})

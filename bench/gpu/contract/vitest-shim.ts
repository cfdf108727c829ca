/**
 * A tiny stand-in for `vitest` so `test/contract/suite.ts` runs where there are no node_modules (the GPU machine):
 * `describe`, `it`, `it.each`, `beforeAll`, `afterAll`, run one after another in declaration order, and vitest's
 * own `expect` (`@vitest/expect` + `chai`, bundled in). `build.mjs` aliases `vitest` to this file.
 * @module
 */
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect'
import * as chai from 'chai'

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(ChaiStyleAssertions)
chai.use(JestAsymmetricMatchers)

type Fn = () => unknown | Promise<unknown>

interface TestNode {
  kind: 'test'
  name: string
  fn: Fn
  timeoutMs: number
}

interface SuiteNode {
  kind: 'suite'
  name: string
  children: (TestNode | SuiteNode)[]
  beforeAll: { fn: Fn; timeoutMs: number }[]
  afterAll: { fn: Fn; timeoutMs: number }[]
}

/** One test's outcome. */
export interface TestResult {
  name: string
  status: 'passed' | 'failed' | 'skipped'
  ms: number
  error?: string
}

const DEFAULT_TIMEOUT_MS = 30_000
const root: SuiteNode = { kind: 'suite', name: '', children: [], beforeAll: [], afterAll: [] }
let current = root

export const expect: any = (value: unknown, message?: string) => {
  const { assertionCalls } = getState(expect)
  setState({ assertionCalls: assertionCalls + 1 }, expect)
  return chai.expect(value, message)
}
Object.assign(expect, chai.expect)
Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT] as object)
expect.getState = () => getState(expect)
expect.setState = (state: object) => setState(state, expect)
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect)
expect.extend = (matchers: object) =>
  (chai.expect as unknown as { extend(target: unknown, matchers: object): void }).extend(expect, matchers)
;(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect

export function describe(name: string, body: () => void): void {
  const suite: SuiteNode = { kind: 'suite', name, children: [], beforeAll: [], afterAll: [] }
  current.children.push(suite)
  const parent = current
  current = suite
  try {
    body()
  } finally {
    current = parent
  }
}

/** vitest's printf-style test names: %s %d %i %f %j %o %# %%. */
function formatName(template: string, args: unknown[], index: number): string {
  let next = 0
  return template.replace(/%[sdifjo#%]/g, (token) => {
    if (token === '%%') return '%'
    if (token === '%#') return String(index)
    const value = args[next++]
    if (token === '%d' || token === '%i') return String(Math.trunc(Number(value)))
    if (token === '%f') return String(Number(value))
    if (token === '%j' || token === '%o') return JSON.stringify(value)
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
}

function test(name: string, fn: Fn, timeoutMs = DEFAULT_TIMEOUT_MS): void {
  current.children.push({ kind: 'test', name, fn, timeoutMs })
}

test.each =
  (rows: readonly unknown[]) =>
  (name: string, fn: (...args: unknown[]) => unknown, timeoutMs?: number): void => {
    rows.forEach((row, index) => {
      const args = Array.isArray(row) ? row : [row]
      test(formatName(name, args, index), () => fn(...args), timeoutMs)
    })
  }

export const it = test

export function beforeAll(fn: Fn, timeoutMs = DEFAULT_TIMEOUT_MS): void {
  current.beforeAll.push({ fn, timeoutMs })
}

export function afterAll(fn: Fn, timeoutMs = DEFAULT_TIMEOUT_MS): void {
  current.afterAll.push({ fn, timeoutMs })
}

async function withTimeout(fn: Fn, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

const describeError = (error: unknown): string =>
  error instanceof Error
    ? `${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1, 4).join('\n')}` : ''}`
    : String(error)

async function runSuite(
  suite: SuiteNode,
  prefix: string[],
  results: TestResult[],
  report: (result: TestResult) => void,
): Promise<void> {
  const path = suite.name ? [...prefix, suite.name] : prefix
  let setupError: string | undefined
  for (const hook of suite.beforeAll) {
    try {
      await withTimeout(hook.fn, hook.timeoutMs, `beforeAll of ${path.join(' > ')}`)
    } catch (error) {
      setupError = `beforeAll failed: ${describeError(error)}`
      break
    }
  }
  for (const child of suite.children) {
    if (child.kind === 'suite') {
      if (setupError) {
        for (const name of collectNames(child, path)) {
          const result: TestResult = { name, status: 'failed', ms: 0, error: setupError }
          results.push(result)
          report(result)
        }
      } else await runSuite(child, path, results, report)
      continue
    }
    const name = [...path, child.name].join(' > ')
    if (setupError) {
      const result: TestResult = { name, status: 'failed', ms: 0, error: setupError }
      results.push(result)
      report(result)
      continue
    }
    setState({ assertionCalls: 0 }, expect)
    const started = performance.now()
    let result: TestResult
    try {
      await withTimeout(child.fn, child.timeoutMs, name)
      result = { name, status: 'passed', ms: Math.round(performance.now() - started) }
    } catch (error) {
      result = { name, status: 'failed', ms: Math.round(performance.now() - started), error: describeError(error) }
    }
    results.push(result)
    report(result)
  }
  for (const hook of suite.afterAll) {
    try {
      await withTimeout(hook.fn, hook.timeoutMs, `afterAll of ${path.join(' > ')}`)
    } catch (error) {
      const result: TestResult = {
        name: `${path.join(' > ')} (afterAll)`,
        status: 'failed',
        ms: 0,
        error: describeError(error),
      }
      results.push(result)
      report(result)
    }
  }
}

function collectNames(suite: SuiteNode, prefix: string[]): string[] {
  const path = [...prefix, suite.name]
  return suite.children.flatMap((child) =>
    child.kind === 'suite' ? collectNames(child, path) : [[...path, child.name].join(' > ')],
  )
}

/** Runs everything registered so far, in order; `report` sees each result as it comes. */
export async function runRegistered(report: (result: TestResult) => void = () => {}): Promise<TestResult[]> {
  const results: TestResult[] = []
  await runSuite(root, [], results, report)
  return results
}

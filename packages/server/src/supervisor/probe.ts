/** The outcome of one HTTP probe. */
export type ProbeResult = { ok: true } | { ok: false; reason: string }

/**
 * GETs `url` and reports whether it answered 2xx within `timeoutMs`; never throws.
 * @example await probeHttp('http://127.0.0.1:8188/system_stats', 3000) // { ok: true }
 */
export async function probeHttp(url: string, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<ProbeResult> {
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) })
    await response.body?.cancel().catch(() => {})
    return response.ok ? { ok: true } : { ok: false, reason: `HTTP ${response.status}` }
  } catch (error) {
    const name = (error as Error).name
    if (name === 'TimeoutError' || name === 'AbortError')
      return { ok: false, reason: `no answer within ${timeoutMs} ms` }
    const cause = (error as { cause?: { code?: string } }).cause
    return { ok: false, reason: cause?.code ?? (error as Error).message }
  }
}

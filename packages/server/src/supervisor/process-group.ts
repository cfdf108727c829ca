import type { ChildProcess } from 'node:child_process'

/**
 * Sends `signal` to every process in the group led by `pid` (a child spawned with `detached: true`).
 * Returns `false` when the group no longer exists.
 * @example signalGroup(child.pid, 'SIGTERM')
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/** Whether `child` has exited (or was killed). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

/** Resolves once `child` has exited, or `false` after `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit)
      resolve(false)
    }, timeoutMs)
    const onExit = () => {
      clearTimeout(timer)
      resolve(true)
    }
    child.once('exit', onExit)
  })
}

/**
 * Stops a process group: SIGTERM, up to `graceMs` for the leader to exit, then SIGKILL; finally SIGKILL to whatever
 * is left in the group (grandchildren that ignored SIGTERM), so nothing outlives the call. No-op once `child` has exited.
 * @example await terminateGroup(child, 10_000)
 */
export async function terminateGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid
  if (pid === undefined || hasExited(child)) return
  signalGroup(pid, 'SIGTERM')
  if (!(await waitForExit(child, graceMs))) {
    signalGroup(pid, 'SIGKILL')
    await waitForExit(child, graceMs)
  }
  signalGroup(pid, 'SIGKILL')
}

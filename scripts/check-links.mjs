#!/usr/bin/env node
/**
 * Checks every relative link and anchor in the repository's Markdown (not node_modules, .vendor or .changeset):
 * the file must exist, and a `#fragment` must name a heading of the file it points to (GitHub's slugs).
 * Prints one line per broken link and exits 1, or exits 0 silently.
 * @example node scripts/check-links.mjs          # the repository
 * @example node scripts/check-links.mjs some/dir # another tree (used by its test)
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const SKIPPED = new Set(['node_modules', '.vendor', '.changeset', '.git', '.turbo', 'dist'])

/** Markdown files under `root`: git's tracked and unignored files when `root` is a git work tree, else a walk. */
function markdownFiles(root) {
  try {
    const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '*.md'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    return listed
      .split('\0')
      .filter((file) => file && !file.split('/').some((part) => SKIPPED.has(part)) && existsSync(join(root, file)))
  } catch {
    const found = []
    const walk = (dir) => {
      for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
        if (SKIPPED.has(entry.name)) continue
        const path = dir ? `${dir}/${entry.name}` : entry.name
        if (entry.isDirectory()) walk(path)
        else if (entry.name.endsWith('.md')) found.push(path)
      }
    }
    walk('')
    return found
  }
}

/** The text outside fenced code blocks and inline code, line by line (line numbers kept). */
function proseLines(text) {
  let fence
  return text.split('\n').map((line) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line)
    if (fence) {
      if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length) fence = undefined
      return ''
    }
    if (opening) {
      fence = opening[1]
      return ''
    }
    return line.replace(/(`+)(?:(?!\1).)+\1/g, '')
  })
}

/** GitHub's anchors for the headings of a Markdown text (lowercase, punctuation dropped, spaces to `-`, `-1` for repeats). */
function anchorsOf(text) {
  const anchors = new Set()
  const seen = new Map()
  for (const line of proseLinesKeepingHeadings(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    const html = [...line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)].map((m) => m[1])
    for (const id of html) anchors.add(id)
    if (!heading) continue
    const base = heading[1]
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

/** Lines outside fenced code blocks, inline code kept (headings keep their code spans' text). */
function proseLinesKeepingHeadings(text) {
  let fence
  const lines = []
  for (const line of text.split('\n')) {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line)
    if (fence) {
      if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length) fence = undefined
    } else if (opening) fence = opening[1]
    else lines.push(line)
  }
  return lines
}

/** Every broken relative link under `root`, as `file:line: message`. */
export function brokenLinks(root) {
  const problems = []
  const anchorCache = new Map()
  const anchors = (file) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(readFileSync(file, 'utf8')))
    return anchorCache.get(file)
  }
  for (const file of markdownFiles(root)) {
    const absolute = join(root, file)
    const lines = proseLines(readFileSync(absolute, 'utf8'))
    lines.forEach((line, index) => {
      const targets = [
        ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
        ...[...line.matchAll(/^\s*\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]),
        ...[...line.matchAll(/\s(?:href|src)="([^"]+)"/g)].map((m) => m[1]),
      ]
      for (const target of targets) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue
        const [pathPart, fragment] = target.split('#', 2)
        const path = decodeURIComponent(pathPart.split('?')[0])
        const resolved =
          path === '' ? absolute : path.startsWith('/') ? join(root, path) : resolve(dirname(absolute), path)
        const where = `${file}:${index + 1}`
        if (!existsSync(resolved)) {
          problems.push(`${where}: ${target} → ${relative(root, resolved)} does not exist`)
          continue
        }
        if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile() && !anchors(resolved).has(fragment)) {
          problems.push(`${where}: ${target} → no heading #${fragment} in ${relative(root, resolved)}`)
        }
      }
    })
  }
  return problems
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
  const problems = brokenLinks(root)
  for (const problem of problems) process.stderr.write(`${problem}\n`)
  if (problems.length > 0) {
    process.stderr.write(`check-links: ${problems.length} broken link(s) in Markdown under ${root}\n`)
    process.exit(1)
  }
}

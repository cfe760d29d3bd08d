import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/** A relative link in a page, and why it does not resolve (undefined when it does). */
export interface BrokenLink {
  file: string
  line: number
  target: string
  problem: string
}

const LINK = /\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a Markdown file's headings (outside code fences), duplicates numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const heading = fenced ? undefined : /^#{1,6} (.+)$/.exec(line)?.[1]
    if (heading === undefined) continue
    const slug = headingSlug(heading)
    const count = seen.get(slug) ?? 0
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
    seen.set(slug, count + 1)
  }
  return anchors
}

/** Every relative link of `file` (relative to `root`) that names no file, or no heading in it. */
export function brokenLinks(root: string, file: string): BrokenLink[] {
  const path = join(root, file)
  const text = readFileSync(path, 'utf8')
  const broken: BrokenLink[] = []
  let fenced = false
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('```')) fenced = !fenced
    if (fenced) return
    for (const match of line.replace(/`[^`]*`/g, '').matchAll(LINK)) {
      const target = match[1]!
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
      const [pathPart = '', anchor] = target.split('#', 2)
      const linked = pathPart === '' ? path : resolve(dirname(path), decodeURI(pathPart))
      const report = (problem: string) => broken.push({ file, line: i + 1, target, problem })
      if (!linked.startsWith(root)) report('points outside the checkout')
      else if (!existsSync(linked)) report(`no such file: ${relative(root, linked)}`)
      else if (anchor !== undefined) {
        if (statSync(linked).isDirectory() || !linked.endsWith('.md'))
          report('an anchor on a non-Markdown target')
        else if (!anchorsOf(readFileSync(linked, 'utf8')).has(anchor)) {
          report(`no heading #${anchor} in ${relative(root, linked)}`)
        }
      }
    }
  })
  return broken
}

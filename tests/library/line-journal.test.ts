import { closeSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { appendLine, openLineJournal } from '../../src/library/line-journal.ts'

describe('line journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smolvlm-journal-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('creates an empty file', () => {
    const opened = openLineJournal(join(dir, 'new.jsonl'))
    closeSync(opened.fd)
    expect(opened).toMatchObject({ lines: [], truncatedBytes: 0 })
    expect(readFileSync(join(dir, 'new.jsonl'), 'utf8')).toBe('')
  })

  it('cuts away an unfinished last line, skips blank ones, and appends after the whole lines', () => {
    const path = join(dir, 'killed.jsonl')
    writeFileSync(path, '{"a":1}\n\n{"b":2}\n{"c":')
    const opened = openLineJournal(path)
    try {
      expect(opened.lines).toEqual(['{"a":1}', '{"b":2}'])
      expect(opened.truncatedBytes).toBe(5)
      appendLine(opened.fd, '{"d":4}')
      appendLine(opened.fd, '{"e":5}\n')
    } finally {
      closeSync(opened.fd)
    }
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n\n{"b":2}\n{"d":4}\n{"e":5}\n')
  })
})

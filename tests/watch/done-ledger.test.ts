import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DoneLedger, ledgerFile, optionsKey } from '../../src/watch/done-ledger.ts'
import type { DoneEntry } from '../../src/watch/done-ledger.ts'

const entry = (over: Partial<DoneEntry> = {}): DoneEntry => ({
  key: 'k1',
  hash: 'aa'.repeat(32),
  path: '/w/a.jpg',
  size: 10,
  mtimeMs: 1000,
  outcome: 'described',
  ...over
})

describe('DoneLedger: what a watched folder has had done, across restarts', () => {
  it('remembers a done content by hash and options key, after it is opened again', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'smolvlm-ledger-')), 'watch', 'x.jsonl')
    const first = DoneLedger.open(file)
    first.record(entry())
    first.close()
    const again = DoneLedger.open(file)
    expect(again.isDone('k1', 'aa'.repeat(32))).toBe(true)
    expect(again.isDone('k2', 'aa'.repeat(32))).toBe(false)
    expect(again.isDone('k1', 'bb'.repeat(32))).toBe(false)
    expect(again.isUnchanged('k1', '/w/a.jpg', 10, 1000)).toBe(true)
    expect(again.isUnchanged('k1', '/w/a.jpg', 10, 1001)).toBe(false)
    expect(again.isUnchanged('k1', '/w/a.jpg', 11, 1000)).toBe(false)
    again.close()
  })

  it('cuts away an unfinished last line (a killed write) and ignores lines that are not entries', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'smolvlm-ledger-')), 'x.jsonl')
    const ledger = DoneLedger.open(file)
    ledger.record(entry())
    ledger.close()
    appendFileSync(file, 'not json\n{"key":"k1"}\n{"key":"k1","hash":"cc')
    const reopened = DoneLedger.open(file)
    expect(reopened.size).toBe(1)
    reopened.record(entry({ hash: 'dd'.repeat(32), path: '/w/b.jpg' }))
    reopened.close()
    const lines = readFileSync(file, 'utf8').split('\n')
    expect(lines.at(-1)).toBe('')
    expect(JSON.parse(lines.at(-2)!)).toMatchObject({ hash: 'dd'.repeat(32), path: '/w/b.jpg' })
    expect(readFileSync(file, 'utf8')).not.toContain('"hash":"cc')
  })

  it('the options key ignores key order and undefined values, and changes with any value', () => {
    expect(optionsKey({ a: 1, b: { c: 'x', d: undefined } })).toBe(optionsKey({ b: { c: 'x' }, a: 1 }))
    expect(optionsKey({ prompt: 'a' })).not.toBe(optionsKey({ prompt: 'b' }))
    expect(optionsKey({ metadata: null })).not.toBe(optionsKey({ metadata: { mode: 'xmp' } }))
  })

  it('keeps one ledger per watched folder under the data root', () => {
    expect(ledgerFile('/data', '/photos/in')).toMatch(/^\/data\/watch\/[0-9a-f]{16}\.jsonl$/)
    expect(ledgerFile('/data', '/photos/in')).not.toBe(ledgerFile('/data', '/photos/other'))
  })
})

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ENGINE_ERROR_CODES as ENGINE_CODES } from '../../src/engine/errors.ts'
import { VARIANTS as ENGINE_VARIANTS } from '../../src/engine/model-files.ts'
import { DEVICES as ENGINE_DEVICES } from '../../src/engine/runtime.ts'
import {
  API_REQUESTS,
  DEFAULT_SETTINGS,
  DescribeRequestSchema,
  describeIssues,
  DEVICES,
  ENGINE_ERROR_CODES,
  ERROR_CODES,
  JobEventSchema,
  LIMITS,
  MainToWorkerSchema,
  RENDERER_CSP,
  SettingsPatchSchema,
  SettingsSchema,
  toErrorInfo,
  VARIANTS,
  WorkerToMainSchema
} from '../../src/shared/contract.ts'
import { FIXTURE_MODEL, REPO_ROOT, request } from '../host/support/jobs.ts'

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success

describe('the contract agrees with the engine and the page', () => {
  it('has every engine error code, plus the app codes', () => {
    expect([...ENGINE_ERROR_CODES]).toEqual([...ENGINE_CODES])
    expect(ERROR_CODES).toEqual(
      expect.arrayContaining(['worker-crashed', 'not-granted', 'invalid-message', 'model-not-loaded'])
    )
  })

  it('names the same variants and devices as the engine', () => {
    expect([...VARIANTS]).toEqual([...ENGINE_VARIANTS])
    expect([...DEVICES]).toEqual([...ENGINE_DEVICES])
  })

  it('sends the same CSP as the <meta> in the renderer page', () => {
    const html = readFileSync(resolve(REPO_ROOT, 'src/renderer/index.html'), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)
    expect(meta?.[1]).toBe(RENDERER_CSP)
  })
})

describe('describe requests from the page', () => {
  const valid = { images: ['img_1'], prompt: 'What is in the picture?' }

  it('accepts image ids with a prompt, or messages whose image parts match the images', () => {
    expect(ok(DescribeRequestSchema, valid)).toBe(true)
    expect(
      ok(DescribeRequestSchema, {
        images: ['a', 'b'],
        messages: [
          {
            role: 'user',
            content: [{ type: 'image' }, { type: 'image' }, { type: 'text', text: 'Compare.' }]
          }
        ]
      })
    ).toBe(true)
  })

  it.each([
    ['a path instead of an image id', { images: ['/etc/passwd'] }],
    ['a Windows path', { images: ['C:\\Users\\me\\secret.png'] }],
    ['a number for the prompt', { ...valid, prompt: 42 }],
    ['a prompt over 8 KB', { ...valid, prompt: 'x'.repeat(LIMITS.promptChars + 1) }],
    ['an extra field', { ...valid, path: '/tmp/x.png' }],
    ['a __proto__ key', JSON.parse('{"images":["a"],"__proto__":{"polluted":true}}')],
    ['too many images', { images: Array.from({ length: LIMITS.imagesPerJob + 1 }, (_, i) => `i${i}`) }],
    [
      'messages and images that do not match',
      { images: ['a'], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }
    ],
    [
      'both a prompt and messages',
      { images: [], prompt: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }
    ],
    [
      'an unknown role',
      { images: [], messages: [{ role: 'root', content: [{ type: 'text', text: 'hi' }] }] }
    ],
    ['an empty message', { images: [], messages: [{ role: 'user', content: [] }] }],
    ['maxNewTokens as a string', { ...valid, options: { maxNewTokens: '100' } }],
    ['maxNewTokens of a million', { ...valid, options: { maxNewTokens: 1_000_000 } }],
    ['a fractional maxNewTokens', { ...valid, options: { maxNewTokens: 2.5 } }],
    [
      'an infinite temperature',
      { ...valid, options: { sampling: { kind: 'sample', temperature: Infinity } } }
    ],
    ['a NaN top-p', { ...valid, options: { sampling: { kind: 'sample', temperature: 1, topP: NaN } } }],
    ['an unknown sampling kind', { ...valid, options: { sampling: { kind: 'beam' } } }],
    ['greedy with a temperature', { ...valid, options: { sampling: { kind: 'greedy', temperature: 1 } } }],
    ['null', null],
    ['an array', [valid]],
    ['a string', JSON.stringify(valid)]
  ])('rejects %s', (_what, value) => {
    expect(ok(DescribeRequestSchema, value)).toBe(false)
  })

  it('explains a rejection in one sentence naming the field', () => {
    const result = API_REQUESTS.describe.safeParse({ jobId: 'j1', request: { ...valid, prompt: 42 } })
    expect(result.success).toBe(false)
    if (!result.success) {
      expect(describeIssues(result.error, 'describe request')).toBe(
        'Invalid describe request: request.prompt: Invalid input: expected string, received number.'
      )
    }
  })
})

describe('main → worker messages', () => {
  const describeMessage = { type: 'describe', jobId: 'j1', model: FIXTURE_MODEL, request: request() }

  it('accepts a well-formed describe', () => {
    expect(ok(MainToWorkerSchema, describeMessage)).toBe(true)
  })

  it.each([
    ['a relative image path', { ...describeMessage, request: { ...request(), images: ['images/a.png'] } }],
    [
      'a path with a NUL byte',
      { ...describeMessage, request: { ...request(), images: ['/tmp/a.png\0.txt'] } }
    ],
    [
      'a path of 5000 characters',
      { ...describeMessage, request: { ...request(), images: [`/${'a'.repeat(5000)}`] } }
    ],
    ['a relative model folder', { ...describeMessage, model: { ...FIXTURE_MODEL, dir: 'models/x' } }],
    ['an unknown variant', { ...describeMessage, model: { ...FIXTURE_MODEL, variant: 'int3' } }],
    ['a job id with a slash', { ...describeMessage, jobId: '../x' }],
    ['a job id of 100 characters', { ...describeMessage, jobId: 'a'.repeat(100) }],
    ['an extra top-level field', { ...describeMessage, priority: 1 }],
    ['an unknown type', { type: 'eval', code: '1' }]
  ])('rejects %s', (_what, value) => {
    expect(ok(MainToWorkerSchema, value)).toBe(false)
  })
})

/** A started event naming one RAW preview. */
const startedWith = (preview: object) => ({
  type: 'started',
  inputTokens: 1,
  tiles: 1,
  grids: [],
  previews: [preview]
})

describe('worker → main messages and job events', () => {
  it('accepts each event kind', () => {
    const events = [
      { type: 'started', inputTokens: 10, tiles: 1, grids: [{ rows: 0, cols: 0 }] },
      {
        type: 'started',
        inputTokens: 10,
        tiles: 1,
        grids: [{ rows: 0, cols: 0 }],
        previews: [{ image: 0, width: 480, height: 640 }]
      },
      { type: 'progress', stage: 'vision', ms: 12.5 },
      { type: 'token', id: 5, text: ' a' },
      { type: 'token', id: null, text: '…' },
      {
        type: 'done',
        text: ' a',
        tokenIds: [5],
        stoppedBy: 'eos',
        cancelled: false,
        stats: {
          inputTokens: 10,
          tiles: 1,
          generatedTokens: 1,
          reusedTokens: 0,
          preprocessMs: 1,
          visionMs: 1,
          prefillMs: 1,
          ttftMs: 1,
          decodeMs: 1,
          tokensPerSecond: 0,
          totalMs: 3,
          ortMs: 2
        }
      },
      { type: 'error', error: { code: 'bad-image', message: 'x.png could not be read.' } }
    ]
    for (const event of events) expect(ok(JobEventSchema, event)).toBe(true)
  })

  it.each([
    ['an unknown error code', { type: 'error', error: { code: 'segfault', message: 'x' } }],
    ['a 1 MB token', { type: 'token', id: 1, text: 'x'.repeat(1024 * 1024) }],
    ['a negative token id', { type: 'token', id: -1, text: 'x' }],
    ['an unknown stage', { type: 'progress', stage: 'mining', ms: 1 }],
    ['a negative duration', { type: 'progress', stage: 'vision', ms: -1 }],
    ['a RAW preview of width 0', startedWith({ image: 0, width: 0, height: 640 })],
    ['a RAW preview with a path in it', startedWith({ image: 0, width: 480, height: 640, path: '/a/x.dng' })],
    ['a RAW preview of an image index past the job', startedWith({ image: 32, width: 480, height: 640 })]
  ])('rejects %s', (_what, value) => {
    expect(ok(JobEventSchema, value)).toBe(false)
  })

  it('rejects a status whose memory is not a number', () => {
    expect(
      ok(WorkerToMainSchema, {
        type: 'status',
        requestId: null,
        status: { state: 'ready', memoryMb: 'lots' }
      })
    ).toBe(false)
  })
})

describe('settings', () => {
  it('defaults are valid', () => {
    expect(SettingsSchema.parse(DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS)
  })

  it.each([
    ['an unknown key', { fontSize: 12 }],
    ['an unknown theme', { theme: 'neon' }],
    ['an unknown sidecar policy', { sidecarPolicy: 'delete' }],
    ['a multi-line trigger word', { triggerWord: 'ohwx\nrm -rf' }],
    ['a prompt over 8 KB', { prompt: 'x'.repeat(LIMITS.promptChars + 1) }],
    ['a longest edge of 0', { longestEdge: 0 }],
    ['a device that does not exist', { device: 'tpu' }]
  ])('a patch with %s is rejected', (_what, patch) => {
    expect(ok(SettingsPatchSchema, patch)).toBe(false)
  })
})

describe('every request of the page', () => {
  it('has a schema that rejects extra fields', () => {
    for (const [method, schema] of Object.entries(API_REQUESTS)) {
      expect(ok(schema, { unexpected: true }), method).toBe(false)
    }
  })

  it('bounds pasted bytes', () => {
    const paste = API_REQUESTS['images.fromBytes']
    expect(ok(paste, { name: 'a.png', bytes: new Uint8Array(10) })).toBe(true)
    expect(ok(paste, { name: 'a.png', bytes: new Uint8Array(0) })).toBe(false)
    expect(ok(paste, { name: 'a.png', bytes: 'iVBORw0KGgo=' })).toBe(false)
    expect(ok(paste, { name: 'a.png', bytes: { length: 1e9 } })).toBe(false)
  })
})

describe('errors as they travel', () => {
  it('keeps the code of a typed error and calls anything else internal', () => {
    expect(toErrorInfo(Object.assign(new Error('no'), { code: 'bad-image' }))).toEqual({
      code: 'bad-image',
      message: 'no'
    })
    expect(toErrorInfo(Object.assign(new Error('no'), { code: 'EACCES' }))).toEqual({
      code: 'internal',
      message: 'no'
    })
    expect(toErrorInfo('plain')).toEqual({ code: 'internal', message: 'plain' })
  })

  it('bounds a huge error message', () => {
    expect(toErrorInfo(new Error('x'.repeat(100_000))).message.length).toBe(LIMITS.errorMessageChars)
  })
})

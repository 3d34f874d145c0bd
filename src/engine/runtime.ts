import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { SmolvlmError } from './errors.ts'

/*
 * Set before the first session exists (onnxruntime reads both when it creates its environment, lazily, on the
 * first InferenceSession.create).
 *
 * Telemetry off: onnxruntime-node 1.30's Linux build starts Microsoft's 1DS telemetry with the environment. It
 * reads /proc/self/cmdline and matches it against a std::regex ("(.*)[ ]*.*[…"), and libstdc++'s backtracking
 * regex executor recurses about three frames per character: a command line of ~29,000 characters (450 globbed
 * file names, a long --prompt) overflowed the 8 MB main-thread stack with a SIGSEGV (87,000 frames seen in gdb).
 * With ORT_DISABLE_TELEMETRY the file is never opened (checked with strace), any command line works, and nothing
 * is written under ~/.cache/Microsoft or sent anywhere, as a private, local app should behave.
 *
 * Log level fatal: onnxruntime's own log lines ("[E:onnxruntime:…provider_bridge_ort.cc…]" when a provider's
 * library is missing) went to stderr raw; every failure still reaches us as an exception, which we word.
 */
process.env['ORT_DISABLE_TELEMETRY'] = '1'
ort.env.logLevel = 'fatal'

export const DEVICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const
export type Device = (typeof DEVICES)[number]
export type ExecutionProvider = Exclude<Device, 'auto'>

export interface ProviderAttempt {
  readonly provider: ExecutionProvider
  readonly error: string
}

export interface LoadedSession {
  readonly session: ort.InferenceSession
  /** The provider the session was created with (nodes it cannot run still fall back to CPU inside ORT). */
  readonly provider: ExecutionProvider
  /** Providers tried before this one, with the reason each failed. */
  readonly failedAttempts: readonly ProviderAttempt[]
}

export interface RuntimeOptions {
  readonly device?: Device
  /** Threads for one operator (default: the cores Node reports). */
  readonly threads?: number
}

export function isDevice(value: string): value is Device {
  return (DEVICES as readonly string[]).includes(value)
}

/**
 * The CUDA provider ships separately (`npm install --onnxruntime-node-install=cuda12` puts its libraries beside
 * the binding); without them, trying it only prints a load error.
 */
function cudaLibrariesInstalled(): boolean {
  try {
    const packageDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'))
    return existsSync(
      join(packageDir, 'bin', 'napi-v6', 'linux', process.arch, 'libonnxruntime_providers_cuda.so')
    )
  } catch {
    return false
  }
}

/** WebGPU (Dawn) on Linux runs on Vulkan; without a Vulkan loader it can only fail (and print a warning). */
function vulkanLoaderPresent(): boolean {
  const dirs = [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib'
  ]
  return dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))
}

/**
 * Why a provider cannot work here without trying it, or undefined when it is worth a try. Trying a provider that
 * onnxruntime-node lacks only prints a warning and quietly runs on the CPU; trying WebGPU without Vulkan makes
 * Dawn print its own warning on stderr.
 */
export function providerUnavailable(
  provider: ExecutionProvider,
  platform: NodeJS.Platform = process.platform
): string | undefined {
  if (provider === 'cpu') return undefined
  const backends = ort.listSupportedBackends().map((backend) => backend.name)
  if (!backends.includes(provider)) return `this build of onnxruntime-node has no ${provider} provider`
  if (provider === 'cuda' && platform === 'linux' && !cudaLibrariesInstalled()) {
    return 'the CUDA provider libraries are not installed (npm install --onnxruntime-node-install=cuda12)'
  }
  if (provider === 'webgpu' && platform === 'linux' && !vulkanLoaderPresent()) {
    return 'WebGPU needs Vulkan and there is no Vulkan loader (libvulkan.so.1)'
  }
  return undefined
}

/** GPU providers worth trying on this platform, best first. CPU always ends the list. */
export function providerCandidates(
  device: Device,
  platform: NodeJS.Platform = process.platform
): ExecutionProvider[] {
  // A device the user named is used or refused, never silently replaced (see createSession).
  if (device !== 'auto') return [device]
  const gpu: Record<string, ExecutionProvider[]> = {
    linux: [
      ...(cudaLibrariesInstalled() ? (['cuda'] as const) : []),
      ...(vulkanLoaderPresent() ? (['webgpu'] as const) : [])
    ],
    win32: ['dml', 'webgpu'],
    darwin: ['coreml', 'webgpu']
  }
  return [...(gpu[platform] ?? []), 'cpu']
}

/** A model given as bytes; `externalDataFolder` is where its external-data references point (onnx-skeleton.ts). */
export interface ModelBytes {
  readonly bytes: Uint8Array
  readonly path: string
  readonly externalDataFolder?: string
}

function sessionOptions(
  provider: ExecutionProvider,
  options: RuntimeOptions,
  source?: string | ModelBytes
): ort.InferenceSession.SessionOptions {
  const folder = typeof source === 'object' ? source.externalDataFolder : undefined
  return {
    ...(folder ? { extra: { session: { model_external_initializers_file_folder_path: folder } } } : {}),
    // A GPU session keeps CPU as its own fallback for operators the GPU provider lacks.
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: options.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    enableMemPattern: true,
    // Errors reach us as exceptions; ORT's own log lines on stderr are noise for users.
    logSeverityLevel: 4
  }
}

/** The human part of an onnxruntime error: without the source-file prefix and the assertion text. */
export function describeProviderError(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).split('\n')[0]
  const afterAssertion = /was false\.\s*(.+)$/.exec(text)?.[1]
  const withoutLocation = text.replace(/^(\S+\.(cc|cpp|h):\d+\s+)+/, '').replace(/^.*\)::<lambda\(\)>\s*/, '')
  return (afterAssertion ?? withoutLocation).trim().slice(0, 300)
}

/**
 * Creates an onnxruntime session on the first provider that accepts the model. With device "auto" it falls back
 * towards CPU, recording why each earlier provider failed (so the app can show it); a device the user named is
 * used or refused ('bad-request' when it is unavailable, 'model-corrupt' when the CPU cannot load the file either). `knownFailures` carries providers that
 * already failed for an earlier session of the same model: they are reported again but not retried.
 */
export async function createSession(
  source: string | ModelBytes,
  options: RuntimeOptions = {},
  knownFailures: Map<ExecutionProvider, string> = new Map()
): Promise<LoadedSession> {
  const path = typeof source === 'string' ? source : source.path
  const failedAttempts: ProviderAttempt[] = []
  let triedNamedDevice = false
  for (const provider of providerCandidates(options.device ?? 'auto')) {
    const known = knownFailures.get(provider) ?? providerUnavailable(provider)
    if (known !== undefined && provider !== 'cpu') {
      failedAttempts.push({ provider, error: known })
      continue
    }
    triedNamedDevice ||= provider === options.device
    try {
      const session =
        typeof source === 'string'
          ? await ort.InferenceSession.create(source, sessionOptions(provider, options))
          : await ort.InferenceSession.create(source.bytes, sessionOptions(provider, options, source))
      return { session, provider, failedAttempts }
    } catch (error) {
      const reason = describeProviderError(error)
      failedAttempts.push({ provider, error: reason })
      knownFailures.set(provider, reason)
    }
  }
  const device = options.device ?? 'auto'
  const last = failedAttempts.at(-1)
  if (device !== 'auto' && device !== 'cpu' && last !== undefined) {
    // The named device failed: the CPU tells whether the model or the device is at fault.
    let cpuError: string | undefined
    if (triedNamedDevice)
      try {
        const probe =
          typeof source === 'string'
            ? await ort.InferenceSession.create(source, sessionOptions('cpu', options))
            : await ort.InferenceSession.create(source.bytes, sessionOptions('cpu', options, source))
        await probe.release()
      } catch (error) {
        cpuError = describeProviderError(error)
      }
    if (cpuError === undefined) {
      throw new SmolvlmError(
        'bad-request',
        `The device "${device}" was asked for but cannot be used on this machine: ${last.error.replace(/\.$/, '')}. ` +
          'Choose "auto" to use it when present and the CPU otherwise, or "cpu".'
      )
    }
    throw new SmolvlmError('model-corrupt', `onnxruntime could not load ${path}: ${cpuError}`)
  }
  throw new SmolvlmError(
    'model-corrupt',
    `onnxruntime could not load ${path}: ${last?.error ?? 'unknown error'}`
  )
}

export type TensorMetadata = {
  readonly name: string
  readonly type: ort.Tensor.Type
  readonly shape: readonly (number | string)[]
}

export function tensorMetadata(
  list: readonly ort.InferenceSession.ValueMetadata[]
): Map<string, TensorMetadata> {
  const result = new Map<string, TensorMetadata>()
  for (const meta of list)
    if (meta.isTensor) result.set(meta.name, { name: meta.name, type: meta.type, shape: meta.shape })
  return result
}

export { ort }

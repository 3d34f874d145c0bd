import { readFileSync } from 'node:fs'

/** The process's peak resident set (VmHWM) in MB on Linux; the current RSS elsewhere. */
export function peakRssMb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const match = /VmHWM:\s+(\d+) kB/.exec(status)
    if (match) return Number(match[1]) / 1024
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss / 1024 / 1024
}

export function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024
}

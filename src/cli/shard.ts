/**
 * `smolvlm caption --shard i/n`: n processes (on n machines) each take the images whose path falls in their shard,
 * so together they cover a dataset exactly once with nothing shared between them but the command line.
 */
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { UsageError } from './usage.ts'

export interface Shard {
  /** Counted from 0, as Kubernetes' JOB_COMPLETION_INDEX and a Slurm array `--array=0-(n-1)` count. */
  readonly index: number
  readonly count: number
}

/** At most this many shards: far beyond any cluster, and small enough to keep the hash split even. */
export const MAX_SHARDS = 100_000

/** Parses `i/n` (0 <= i < n, 1 <= n <= MAX_SHARDS); a UsageError naming the rule otherwise. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text)
  const index = match ? Number(match[1]) : Number.NaN
  const count = match ? Number(match[2]) : Number.NaN
  if (!match || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new UsageError(
      `--shard ${text} is not valid: give i/n, n shards from 1 to ${MAX_SHARDS} and i from 0 to n-1 ` +
        `(e.g. 0/4, 1/4, 2/4, 3/4).`
    )
  }
  return { index, count }
}

/**
 * The shard an image belongs to: a stable hash (SHA-256) of its absolute path, modulo the number of shards.
 * Every process that sees the same path the same way (the same mount point, the same working folder for relative
 * paths) puts it in the same shard, whatever order the files were listed in or how many there are.
 */
export function shardOf(path: string, count: number): number {
  const digest = createHash('sha256').update(resolve(path)).digest()
  return digest.readUIntBE(0, 6) % count
}

export function inShard(path: string, shard: Shard): boolean {
  return shardOf(path, shard.count) === shard.index
}

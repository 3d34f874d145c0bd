/**
 * Bounds on everything that crosses a process boundary. A message outside them is rejected whole (never
 * truncated), so a hostile or buggy sender cannot make a receiver allocate, log or forward unbounded data.
 */
export const LIMITS = {
  /** A prompt or one text part of a chat message: 8 KB of text is far beyond any caption instruction. */
  promptChars: 8 * 1024,
  messages: 64,
  partsPerMessage: 32,
  /** Images in one describe request (each becomes up to 17 tiles of 64+ tokens). */
  imagesPerJob: 32,
  /** Images decoded together in one batch (the batchSize setting's top; memory grows with each). */
  batchSize: 16,
  /** Vision frames of one job: up to 6x6 tiles + a global frame per image. */
  maxFrames: 32 * 37,
  /** Paths granted in one call (a drop of many files; folders expand on the host side). */
  pathsPerCall: 1000,
  /** Images a single folder drop may expand to. */
  imagesPerFolder: 10_000,
  /** Folder nesting followed when expanding a drop. */
  folderDepth: 32,
  pathChars: 4096,
  nameChars: 512,
  idChars: 64,
  /** Bytes of one pasted / uploaded image. */
  imageBytes: 64 * 1024 * 1024,
  maxNewTokens: 4096,
  /** Text of one token event, and of a whole caption. */
  tokenChars: 4096,
  captionChars: 256 * 1024,
  tokenIds: 16_384,
  /** Rows of one results request (sidecars or an export). */
  resultRows: 100_000,
  triggerWordChars: 256,
  errorMessageChars: 2000,
  modelRefChars: 256,
  fileListEntries: 10_000,
  /** The words of one caption-library search, and the images one search returns. */
  searchChars: 500,
  searchHits: 1000
} as const

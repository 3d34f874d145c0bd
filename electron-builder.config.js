// electron-builder configuration (https://www.electron.build/configuration). `npm run dist` builds the current
// platform's installers, `npm run dist:linux|mac|win` one platform's, `npm run dist:dir` only the unpacked app
// (dist/<platform>-unpacked), which tests/packaging checks. Signing and notarisation happen only where their
// environment variables are set (see the mac section); without them the builds are unsigned.

/** Image types the app opens from the file manager ("Open with"); the folder search takes these and every RAW. */
const imageAssociations = [
  { ext: ['jpg', 'jpeg'], name: 'JPEG image', mimeType: 'image/jpeg' },
  { ext: 'png', name: 'PNG image', mimeType: 'image/png' },
  { ext: 'webp', name: 'WebP image', mimeType: 'image/webp' },
  { ext: 'gif', name: 'GIF image', mimeType: 'image/gif' },
  { ext: ['tif', 'tiff'], name: 'TIFF image', mimeType: 'image/tiff' },
  { ext: 'avif', name: 'AVIF image', mimeType: 'image/avif' },
  { ext: 'heic', name: 'HEIC image', mimeType: 'image/heic' },
  { ext: ['heif', 'hif'], name: 'HEIF image', mimeType: 'image/heif' },
  // RAW: DNG only, the one open format; other RAW files open from the app (dialog, drop, folder).
  { ext: 'dng', name: 'DNG raw image', mimeType: 'image/x-adobe-dng' }
].map((association) => ({ ...association, role: 'Viewer', rank: 'Alternate' }))

const macSigning = Boolean(process.env.CSC_LINK || process.env.CSC_NAME)
const macNotarising = Boolean(
  process.env.APPLE_API_KEY || process.env.APPLE_ID || process.env.APPLE_KEYCHAIN_PROFILE
)

// SMOLVLM_ELECTRON_DIST: an unpacked Electron folder to package instead of downloading Electron's zip (the
// stand-in from scripts/packaging/standin-electron.js in tests; a real build for an offline release).
const electronDist = process.env.SMOLVLM_ELECTRON_DIST || undefined
const bundlesDir = process.env.SMOLVLM_BUNDLES_DIR || 'out'
// The deb needs a homepage: SMOLVLM_HOMEPAGE, else the repository GitHub Actions builds (release workflow).
const homepage =
  process.env.SMOLVLM_HOMEPAGE ||
  (process.env.GITHUB_REPOSITORY
    ? `${process.env.GITHUB_SERVER_URL || 'https://github.com'}/${process.env.GITHUB_REPOSITORY}`
    : undefined)

/** @type {import('electron-builder').Configuration} */
export default {
  electronDist,
  appId: 'org.smolvlm.desktop',
  ...(homepage ? { extraMetadata: { homepage } } : {}),
  productName: 'SmolVLM Desktop',
  copyright: 'Copyright © 2026 SmolVLM Desktop contributors',
  // SMOLVLM_DIST_DIR: where the packages go (default dist/).
  directories: { output: process.env.SMOLVLM_DIST_DIR || 'dist', buildResources: 'build' },
  // The bundles (electron-vite build) and the window icon; runtime dependencies are added by electron-builder
  // from package.json "dependencies" (devDependencies never are).
  files: [
    // SMOLVLM_BUNDLES_DIR: take the bundles from another electron-vite --outDir (tests/packaging builds its own,
    // so it never empties out/ under a test that is reading it).
    { from: bundlesDir, to: 'out', filter: ['main/**', 'preload/**', 'renderer/**'] },
    'resources/icon.png',
    'package.json',
    // tsx (and esbuild under it) is a dependency only for the command-line tool (bin/smolvlm.js runs the
    // TypeScript sources); the app runs the built bundles and never loads it.
    '!**/node_modules/{tsx,esbuild,@esbuild,get-tsconfig,resolve-pkg-maps}/**',
    '!**/node_modules/**/{README,Readme,readme,CHANGELOG,Changelog,changelog,HISTORY,History}{,.md,.markdown,.txt}',
    '!**/node_modules/**/*.{map,d.ts,d.cts,d.mts,md}',
    '!**/node_modules/onnxruntime-node/script/**',
    // better-sqlite3's C sources, SQLite amalgamation and build intermediates (only build/Release/*.node runs).
    '!**/node_modules/better-sqlite3/{src,deps,build/deps,build/Release/obj,build/Release/test_extension.node}{,/**}',
    // onnxruntime-node ships every platform's binaries in one package (~290 MB): keep only the target's.
    // ${platform} and ${arch} are electron-builder's macros (darwin|linux|win32, x64|arm64); !(…) is minimatch's
    // "anything but". (Not in linux/mac/win `files`: with those, electron-builder copied the whole project.)
    '!**/node_modules/onnxruntime-node/bin/napi-v6/!(${platform})/**',
    '!**/node_modules/onnxruntime-node/bin/napi-v6/${platform}/!(${arch})/**'
  ],
  // The app's licence beside Electron's (LICENSE.electron.txt, LICENSES.chromium.html); the NSIS installer shows it too.
  extraResources: [{ from: 'LICENSE', to: 'LICENSE.txt' }],
  asar: true,
  // Native code cannot be loaded from inside an asar archive: onnxruntime-node's binding and shared libraries
  // (libonnxruntime, DirectML.dll, dxcompiler/dxil, webgpu_dawn), sharp and its libvips (@img/*), and the SQLite
  // binding of better-sqlite3; Electron redirects their loads to app.asar.unpacked. ExifTool (exiftool-vendored.pl,
  // or .exe on Windows) is a program the metadata reader starts, so it must be real files too (exiftool-vendored
  // looks under app.asar.unpacked itself).
  asarUnpack: [
    '**/node_modules/onnxruntime-node/bin/**',
    '**/node_modules/sharp/**',
    '**/node_modules/@img/**',
    '**/node_modules/better-sqlite3/**',
    '**/node_modules/exiftool-vendored.pl/**',
    '**/node_modules/exiftool-vendored.exe/**',
    // Required by a plain path from the main process's HEIC worker thread (src/engine/image/heic-thread.ts).
    '**/node_modules/libheif-js/**',
    '**/*.node'
  ],
  // onnxruntime-node and sharp are Node-API prebuilt binaries (one binary for Node and every Electron), so there
  // is nothing to compile. better-sqlite3 is not Node-API: where it is a dependency, @electron/rebuild must build
  // it against Electron's headers, which it downloads (the release workflow does; offline builds cannot).
  // SMOLVLM_NO_REBUILD=1 skips it (tests/packaging: it would rebuild node_modules in place for Electron).
  npmRebuild: process.env.SMOLVLM_NO_REBUILD !== '1',
  // Checklist 19, fuses flipped in the packaged Electron binary (https://www.electronjs.org/docs/latest/tutorial/fuses):
  electronFuses: {
    // ELECTRON_RUN_AS_NODE would turn the signed app into a general Node.js. The worker is a utilityProcess, which
    // does not need it; nothing in the app uses child_process.fork of Electron.
    runAsNode: false,
    // Cookies and local storage on disk encrypted with the OS key store (the page keeps little there; no cost).
    enableCookieEncryption: true,
    // NODE_OPTIONS and --inspect would let anyone who can set the environment or arguments inject code into main.
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    // Electron checks app.asar against the hash electron-builder writes into the app (macOS, Windows); with
    // onlyLoadAppFromAsar a loose resources/app folder next to it cannot replace the app.
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    // The page is served from app:// (src/host/app-protocol.ts); file:// needs no extra privileges.
    grantFileProtocolExtraPrivileges: false
  },
  fileAssociations: imageAssociations,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Graphics',
    icon: 'resources/icon.png',
    executableName: 'smolvlm-desktop',
    // The deb's Maintainer field (electron-builder takes it from package.json's author otherwise).
    maintainer: 'SmolVLM Desktop contributors',
    synopsis: 'Describe images with SmolVLM, entirely on your computer',
    description:
      'Drop images on the window and captions stream in, made by the SmolVLM vision-language models running locally.',
    desktop: { entry: { StartupWMClass: 'smolvlm-desktop' } }
  },
  deb: {
    // electron-builder's defaults for Electron, plus perl: ExifTool (exiftool-vendored.pl) is a Perl program.
    depends: [
      'libgtk-3-0',
      'libnotify4',
      'libnss3',
      'libxss1',
      'libxtst6',
      'xdg-utils',
      'libatspi2.0-0',
      'libuuid1',
      'libsecret-1-0',
      'perl'
    ]
  },
  mac: {
    // onnxruntime-node 1.30.0 ships no darwin/x64 binary, so an Intel build would not load a model: Apple silicon only.
    target: [
      { target: 'dmg', arch: ['arm64'] },
      { target: 'zip', arch: ['arm64'] }
    ],
    category: 'public.app-category.graphics-design',
    icon: 'resources/icon.png',
    // With a Developer ID certificate (CSC_LINK / CSC_NAME): signed with the hardened runtime, and notarised when
    // Apple credentials are set (APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID). Without one: ad-hoc signed
    // ("-"), which Apple silicon requires of any app, and no hardened runtime, whose library validation would refuse
    // the ad-hoc-signed native modules.
    identity: macSigning ? undefined : '-',
    hardenedRuntime: macSigning,
    notarize: macSigning && macNotarising
  },
  win: {
    // x64 only: sharp's Windows arm64 build is an optional dependency npm installs only on arm64 machines, so an
    // arm64 installer made on the x64 runner would lack it.
    target: [{ target: 'nsis', arch: ['x64'] }],
    icon: 'resources/icon.png'
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
    license: 'LICENSE'
  },
  publish: null
}

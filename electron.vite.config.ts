import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'
import { DEV_RENDERER_CSP, RENDERER_CSP } from './src/shared/csp.ts'

/**
 * The dev server only: React Fast Refresh's inline preamble and Vite's injected <style> elements need inline
 * scripts and styles, which the app's CSP forbids. The built index.html keeps the strict policy.
 */
function devServerCsp(): Plugin {
  return {
    name: 'smolvlm:dev-server-csp',
    apply: 'serve',
    transformIndexHtml: (html) => {
      if (!html.includes(RENDERER_CSP)) throw new Error('index.html does not carry RENDERER_CSP')
      return html.replace(RENDERER_CSP, DEV_RENDERER_CSP)
    }
  }
}

// Native addons (onnxruntime-node, sharp) and the other runtime `dependencies` stay external in the
// main/worker bundles (electron-vite's default) and are loaded from node_modules at run time.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // The model worker: Electron utility process (utilityProcess.fork of out/main/worker.js) …
          worker: resolve(__dirname, 'src/worker/entry-utility.ts'),
          // … and the same worker for plain Node (child_process.fork; tests, servers).
          'worker-node': resolve(__dirname, 'src/worker/entry-node.ts')
        }
      }
    }
  },
  preload: {
    build: {
      // A sandboxed preload can require only electron and a few built-ins: bundle its dependencies (zod).
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // A sandboxed preload cannot load ES modules or require other files: one CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      // electron-vite leaves bundles unminified; the page is plain browser code, so minify it (~3x smaller).
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } }
    },
    plugins: [react(), devServerCsp()]
  }
})

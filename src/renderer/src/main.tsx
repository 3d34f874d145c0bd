// Must stay the first import: see zod-config.ts.
import './zod-config.ts'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { getApi } from './api.ts'
import { App } from './App.tsx'
import { NoticeProvider } from './hooks/useNotices.tsx'
import './styles/theme.css'
import './styles/base.css'
import './styles/layout.css'
import './styles/cards.css'
import './styles/detail.css'
import './styles/dialogs.css'
import './styles/models.css'
import './styles/search.css'

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')
const api = getApi()
createRoot(root).render(
  <StrictMode>
    {api ? (
      <NoticeProvider>
        <App api={api} />
      </NoticeProvider>
    ) : (
      <main className="splash" role="alert">
        <h1>SmolVLM Desktop</h1>
        <p>This page runs inside the SmolVLM Desktop app (window.smolvlm is missing).</p>
      </main>
    )}
  </StrictMode>
)

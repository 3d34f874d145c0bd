// The typed bridge (window.smolvlm) is defined by the worker/IPC work; until then the page gets nothing.
export {}

export function App(): React.JSX.Element {
  return (
    <main>
      <h1>SmolVLM Desktop</h1>
    </main>
  )
}

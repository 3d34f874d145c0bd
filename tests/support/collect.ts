import type { DescribeEvent } from '../../src/engine/smolvlm.ts'

/** Runs an event stream to the end; returns every event and the final `done` event. */
export async function collect(events: AsyncIterable<DescribeEvent>) {
  const all: DescribeEvent[] = []
  for await (const event of events) all.push(event)
  const done = all.at(-1)
  if (done?.type !== 'done') throw new Error('the stream did not end with a done event')
  return { events: all, done, text: all.map((e) => (e.type === 'token' ? e.text : '')).join('') }
}

/** Vite turns an imported image into the URL of the file it emits. */
declare module '*.svg' {
  const url: string
  export default url
}

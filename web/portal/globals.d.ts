// esbuild's text loader: the stylesheets arrive as strings, adopted into the shadow root
declare module '*.css' {
  const text: string;
  export default text;
}

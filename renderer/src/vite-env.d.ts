// Vite's asset imports used by the renderer (vite/client would also pull in node types).
declare module '*?url' {
  const url: string;
  export default url;
}

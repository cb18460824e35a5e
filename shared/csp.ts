/**
 * The studio's Content-Security-Policy, one definition for both front doors. No inline scripts,
 * no eval, no remote anything. 'wasm-unsafe-eval' lets WebAssembly (the SoundFont synth) compile;
 * connect-src allows only the page's own origin (in serve mode, its WebSocket).
 */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    // 'self' covers serve mode's same-host WebSocket in current Chromium.
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

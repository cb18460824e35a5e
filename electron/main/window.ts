/**
 * Window creation and every security setting of the app, in one place: sandboxed renderer with
 * context isolation and no Node, pages only from our app:// protocol with a strict CSP, navigation,
 * new windows, webviews and permission requests denied, openExternal only for an allow-list.
 */
import { app, BrowserWindow, net, protocol, session, shell, type WebContents } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from '@shared/csp';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://studio`;

/** Sites the studio may open in the user's browser (documentation, licenses); https only. */
export const EXTERNAL_HOSTS = new Set(['github.com', 'abcnotation.com']);

/**
 * Parsed, not matched as text: "https://github.com@evil.example/" or "https://github.com.evil/"
 * must not pass, and neither may credentials, other ports or other schemes (file:, javascript:).
 */
export function isAllowedExternal(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && EXTERNAL_HOSTS.has(u.hostname) && u.port === '' && u.username === '' && u.password === '';
}

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

/**
 * The file under `root` that an app:// URL names, or null when the URL is not ours or would leave
 * the folder (`..`, encoded `%2e%2e` or `%2f`, backslashes, NUL bytes, malformed escapes).
 */
export function rendererFileFor(root: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== 'studio') return null;
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  } catch {
    return null;
  }
  // A decoded backslash is a separator on Windows; a NUL byte truncates paths in native code.
  if (relative.includes('\\') || relative.includes('\0')) return null;
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + path.posix.normalize(relative));
  return file.startsWith(base + path.sep) ? file : null;
}

/** Serves the built renderer from app://studio/..., refusing anything outside its folder. */
export function serveRendererFiles(rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
    const file = rendererFileFor(root, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    let response: Response;
    try {
      response = await net.fetch(pathToFileURL(file).toString());
    } catch {
      return new Response('Not found', { status: 404 });
    }
    const headers = new Headers(response.headers);
    headers.set('X-Content-Type-Options', 'nosniff');
    if (file.toLowerCase().endsWith('.html')) headers.set('Content-Security-Policy', contentSecurityPolicy());
    return new Response(response.body, { status: response.status, headers });
  });
}

export function isOurUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    // app: is registered as a standard scheme, so its URLs have a real origin.
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'studio';
  } catch {
    return false;
  }
}

export function isOurPage(contents: WebContents): boolean {
  return isOurUrl(contents.getURL());
}

/** App-wide guards for every web contents, current and future. */
export function hardenAllContents(): void {
  // The page needs no browser permission: MIDI, audio devices and files all go through main.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.setDevicePermissionHandler(() => false);
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-frame-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isAllowedExternal(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

export function createStudioWindow(preloadPath: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 680,
    title: 'Seedsong',
    show: false,
    backgroundColor: '#16181d',
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      // Middle-click would open links in new windows past the window-open handler's view.
      disableBlinkFeatures: 'Auxclick',
      safeDialogs: true,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

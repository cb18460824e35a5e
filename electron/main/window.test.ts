/**
 * Every security setting of the window, checked against a stand-in for the 'electron' module (the
 * Electron binary is not installed on CI machines here; the settings are plain data and handlers,
 * so they can be checked without it).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const electron = vi.hoisted(() => {
  type Listener = (...args: any[]) => unknown;
  const appListeners = new Map<string, Listener[]>();
  const state = {
    windows: [] as any[],
    schemes: [] as any[],
    protocolHandlers: new Map<string, (req: Request) => Promise<Response>>(),
    permissionRequest: undefined as undefined | Listener,
    permissionCheck: undefined as undefined | Listener,
    devicePermission: undefined as undefined | Listener,
    openExternal: [] as string[],
    fetched: [] as string[],
    appListeners,
  };
  class FakeBrowserWindow {
    options: any;
    loaded: string[] = [];
    listeners = new Map<string, Listener[]>();
    constructor(options: any) {
      this.options = options;
      state.windows.push(this);
    }
    once(name: string, fn: Listener) {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    static getAllWindows() {
      return state.windows;
    }
  }
  return {
    state,
    module: {
      app: {
        on: (name: string, fn: Listener) => appListeners.set(name, [...(appListeners.get(name) ?? []), fn]),
      },
      BrowserWindow: FakeBrowserWindow,
      net: {
        fetch: async (url: string) => {
          state.fetched.push(url);
          const file = new URL(url);
          const body = await import('node:fs').then((f) => f.promises.readFile(file));
          return new Response(body, { status: 200, headers: { 'content-type': 'application/octet-stream' } });
        },
      },
      protocol: {
        registerSchemesAsPrivileged: (schemes: any[]) => state.schemes.push(...schemes),
        handle: (scheme: string, fn: (req: Request) => Promise<Response>) => state.protocolHandlers.set(scheme, fn),
      },
      session: {
        defaultSession: {
          setPermissionRequestHandler: (fn: Listener) => (state.permissionRequest = fn),
          setPermissionCheckHandler: (fn: Listener) => (state.permissionCheck = fn),
          setDevicePermissionHandler: (fn: Listener) => (state.devicePermission = fn),
        },
      },
      shell: {
        openExternal: async (url: string) => {
          state.openExternal.push(url);
        },
      },
    },
  };
});

vi.mock('electron', () => electron.module);

import {
  APP_ORIGIN,
  createStudioWindow,
  hardenAllContents,
  isAllowedExternal,
  isOurPage,
  registerAppScheme,
  rendererFileFor,
  serveRendererFiles,
} from './window';

/** A web contents as Electron hands it to 'web-contents-created'. */
function fakeContents(url = `${APP_ORIGIN}/index.html`) {
  const listeners = new Map<string, (...a: any[]) => void>();
  let openHandler: ((d: { url: string }) => { action: string }) | undefined;
  return {
    listeners,
    getURL: () => url,
    on(name: string, fn: (...a: any[]) => void) {
      listeners.set(name, fn);
    },
    setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
      openHandler = fn;
    },
    open: (target: string) => openHandler!({ url: target }),
  };
}

function eventWithPreventDefault() {
  const e = { prevented: false, preventDefault: () => (e.prevented = true) };
  return e;
}

describe('the studio window', () => {
  beforeEach(() => {
    electron.state.windows.length = 0;
  });

  it('is sandboxed, isolated, without Node, webviews or insecure content', () => {
    createStudioWindow('/app/out/preload/index.cjs');
    const prefs = electron.state.windows[0].options.webPreferences;
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
    // Settings that must never appear, whatever their value would be.
    for (const forbidden of ['nodeIntegrationInSubFrames', 'enableRemoteModule', 'experimentalFeatures', 'enableBlinkFeatures']) {
      expect(prefs, forbidden).not.toHaveProperty(forbidden);
    }
  });

  it('loads only our app:// page', () => {
    const win = createStudioWindow('/p.cjs');
    expect((win as unknown as { loaded: string[] }).loaded).toEqual([`${APP_ORIGIN}/index.html`]);
    expect(APP_ORIGIN).toBe('app://studio');
  });

  it('registers app:// as a standard, secure scheme before start-up', () => {
    registerAppScheme();
    expect(electron.state.schemes).toContainEqual({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) });
    // bypassCSP or corsEnabled would weaken the page's own policy.
    const privileges = electron.state.schemes.find((s: any) => s.scheme === 'app').privileges;
    expect(privileges.bypassCSP).not.toBe(true);
  });
});

describe('guards on every web contents', () => {
  hardenAllContents();
  const created = electron.state.appListeners.get('web-contents-created')!;

  it('denies every permission request and check, and device access', () => {
    const answers: boolean[] = [];
    for (const permission of ['media', 'midi', 'midiSysex', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fileSystem']) {
      electron.state.permissionRequest!({}, permission, (granted: boolean) => answers.push(granted));
      expect(electron.state.permissionCheck!({}, permission, APP_ORIGIN)).toBe(false);
    }
    expect(answers.length).toBe(8);
    expect(answers.every((a) => a === false)).toBe(true);
    expect(electron.state.devicePermission!({ deviceType: 'hid', origin: APP_ORIGIN })).toBe(false);
  });

  it('refuses navigation, frame navigation, redirects and webviews', () => {
    expect(created).toHaveLength(1);
    const contents = fakeContents();
    created[0]({}, contents);
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']) {
      const handler = contents.listeners.get(name);
      expect(handler, name).toBeTypeOf('function');
      const e = eventWithPreventDefault();
      handler!(e, 'https://evil.example/');
      expect(e.prevented, name).toBe(true);
    }
  });

  it('denies window.open always, opening only allow-listed https links in the browser', () => {
    const contents = fakeContents();
    created[0]({}, contents);
    electron.state.openExternal.length = 0;
    const tries = [
      'https://github.com/seedsong/seedsong',
      'https://abcnotation.com/wiki/abc:standard:v2.1',
      'http://github.com/x',
      'https://github.com.evil.example/x',
      'https://github.com@evil.example/x',
      'https://user:pw@github.com/x',
      'https://github.com:8443/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'app://studio/index.html',
      'smb://github.com/share',
      'not a url',
    ];
    for (const url of tries) expect(contents.open(url), url).toEqual({ action: 'deny' });
    expect(electron.state.openExternal).toEqual(['https://github.com/seedsong/seedsong', 'https://abcnotation.com/wiki/abc:standard:v2.1']);
  });

  it('isAllowedExternal parses instead of matching text', () => {
    expect(isAllowedExternal('https://github.com/')).toBe(true);
    expect(isAllowedExternal('HTTPS://GITHUB.COM/x')).toBe(true);
    expect(isAllowedExternal('https://raw.github.com/x')).toBe(false);
    expect(isAllowedExternal('')).toBe(false);
  });

  it('knows our page from others', () => {
    expect(isOurPage(fakeContents('app://studio/index.html') as never)).toBe(true);
    expect(isOurPage(fakeContents('app://other/index.html') as never)).toBe(false);
    expect(isOurPage(fakeContents('https://studio/') as never)).toBe(false);
    expect(isOurPage(fakeContents('') as never)).toBe(false);
  });
});

describe('the app:// protocol', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-app-protocol-'));
  const root = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Seedsong</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'do not serve');
  fs.writeFileSync(path.join(dir, 'renderer-evil.txt'), 'a sibling folder with the same prefix');
  serveRendererFiles(root);
  const handler = electron.state.protocolHandlers.get('app')!;

  it('serves the page with the CSP, and assets from inside the folder', async () => {
    const page = await handler(new Request('app://studio/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('Seedsong');
    const asset = await handler(new Request('app://studio/assets/app.js'));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses every path outside the renderer folder without touching the disk', async () => {
    electron.state.fetched.length = 0;
    const attacks = [
      'app://studio/../secret.txt',
      'app://studio/%2e%2e/secret.txt',
      'app://studio/%2e%2e%2fsecret.txt',
      'app://studio/assets/..%2f..%2fsecret.txt',
      'app://studio/..%5csecret.txt',
      'app://studio/%00index.html',
      'app://studio/%E0%A4%A',
      'app://studio/..%2f..%2frenderer-evil.txt',
      'app://other/index.html',
      'app://studio.evil/index.html',
    ];
    for (const url of attacks) {
      const res = await handler(new Request(url));
      expect(res.status, url).toBe(404);
      expect(await res.text(), url).not.toContain('do not serve');
    }
    for (const f of electron.state.fetched) expect(f.startsWith(pathToFileURL(root).toString() + '/'), f).toBe(true);
  });

  it('answers a missing file with 404 and refuses methods other than GET', async () => {
    expect((await handler(new Request('app://studio/nope.js'))).status).toBe(404);
    expect((await handler(new Request('app://studio/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('rendererFileFor maps only inside the folder', () => {
    expect(rendererFileFor(root, 'app://studio/')).toBe(path.join(root, 'index.html'));
    expect(rendererFileFor(root, 'app://studio/a/../b.js')).toBe(path.join(root, 'b.js'));
    expect(rendererFileFor(root, 'app://studio/../../etc/passwd')).toBe(path.join(root, 'etc', 'passwd'));
    expect(rendererFileFor(root, 'https://studio/index.html')).toBeNull();
    expect(rendererFileFor(root, '::')).toBeNull();
  });
});

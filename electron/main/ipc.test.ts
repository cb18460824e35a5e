/**
 * The IPC binding: every contract channel is registered, every call's sender is checked before its
 * payload is looked at, payloads are validated, and no channel takes a file path from the page.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: any, payload: unknown) => Promise<unknown>>();
  const sent: { channel: string; message: unknown }[] = [];
  const windows: any[] = [];
  return {
    handlers,
    sent,
    windows,
    module: {
      ipcMain: {
        handle: (channel: string, fn: (event: any, payload: unknown) => Promise<unknown>) => {
          if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
          handlers.set(channel, fn);
        },
        removeHandler: (channel: string) => handlers.delete(channel),
      },
      BrowserWindow: { getAllWindows: () => windows },
      // window.ts is imported by ipc.ts; none of these are used by the binding itself.
      app: { on: () => {} },
      net: {},
      protocol: {},
      session: {},
      shell: {},
    },
  };
});
vi.mock('electron', () => electron.module);

import { isTrustedSender, registerIpc } from './ipc';
import { channelNames, channels } from '@shared/ipc/contract';
import { ipcChannel, IPC_EVENT_CHANNEL } from '@shared/ipc/wire';
import { createStudio, noMidiHardware, type Studio } from '../studio';
import { createFakeEngine } from '../studio/testing/fake-engine';

const OUR = 'app://studio/index.html';

function frame(url: string, parent: unknown = null) {
  return { url, parent };
}
function event(contentsUrl: string, senderFrame: unknown = frame(contentsUrl)) {
  return { sender: { getURL: () => contentsUrl }, senderFrame };
}

let dir: string;
let studio: Studio;
let unregister: () => void;
const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-ipc-'));
  studio = await createStudio({ mode: 'electron', userDataDir: dir, engine: createFakeEngine(), openMidi: noMidiHardware });
  unregister = registerIpc(studio);
});
afterAll(async () => {
  unregister();
  await studio.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  warn.mockRestore();
});

describe('registerIpc', () => {
  it('registers exactly one handler per contract channel, and removes them all', () => {
    expect([...electron.handlers.keys()].sort()).toEqual(channelNames.map(ipcChannel).sort());
  });

  it('answers our top frame', async () => {
    const result = await electron.handlers.get(ipcChannel('appInfo'))!(event(OUR), {});
    expect(result).toMatchObject({ ok: true, value: { name: 'Seedsong', mode: 'electron' } });
  });

  it('refuses every channel from foreign senders before validating anything', async () => {
    const foreign = [
      event('https://evil.example/'),
      event('file:///tmp/x.html'),
      event('app://other/index.html'),
      event(OUR, null), // frame already gone
      event(OUR, frame(OUR, frame(OUR))), // a subframe of our page
      event(OUR, frame('https://evil.example/')), // an iframe-like frame URL under our contents
      event('https://evil.example/', frame(OUR)),
    ];
    for (const name of channelNames) {
      for (const e of foreign) {
        const result = await electron.handlers.get(ipcChannel(name))!(e, { nonsense: true });
        expect(result, name).toEqual({ ok: false, error: { code: 'unauthorized', message: expect.any(String) } });
      }
    }
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('foreign sender'));
  });

  it('validates payloads from our page and answers bad ones with invalid_request', async () => {
    const bad = await electron.handlers.get(ipcChannel('generate'))!(event(OUR), { seed: { kind: 'telepathy' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    for (const junk of [null, 42, 'x', [], { __proto__: { polluted: true } }]) {
      const r = (await electron.handlers.get(ipcChannel('generate'))!(event(OUR), junk)) as { ok: boolean };
      expect(r.ok).toBe(false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('sends events only to windows showing our page', () => {
    const ours = { isDestroyed: () => false, webContents: { getURL: () => OUR, send: (c: string, m: unknown) => electron.sent.push({ channel: c, message: m }) } };
    const foreign = { isDestroyed: () => false, webContents: { getURL: () => 'https://evil.example/', send: () => electron.sent.push({ channel: 'LEAK', message: null }) } };
    electron.windows.push(ours, foreign);
    studio.events.emit('engine.status', createFakeEngine().status());
    electron.windows.length = 0;
    expect(electron.sent.every((s) => s.channel === IPC_EVENT_CHANNEL)).toBe(true);
    expect(electron.sent.length).toBeGreaterThan(0);
  });
});

describe('isTrustedSender', () => {
  it('needs the top frame of our page', () => {
    expect(isTrustedSender(event(OUR) as never)).toBe(true);
    expect(isTrustedSender(event(OUR, frame(OUR, {})) as never)).toBe(false);
    expect(isTrustedSender({ sender: { getURL: () => OUR }, senderFrame: undefined } as never)).toBe(false);
  });
});

describe('the contract', () => {
  // Paths from the page would let a compromised renderer read or overwrite any file: main opens
  // the dialogs itself or resolves opaque ids. A field named like a path is a sign of the mistake.
  const PATH_LIKE = /(^|_)(path|paths|file|files|filename|dir|directory|folder|cwd|url)$/i;
  const PATH_LIKE_CAMEL = /(Path|Paths|File|Files|Filename|Dir|Directory|Folder)$/;

  /** Whether a JSON Schema accepts a string, or a list of strings (where a path would go). */
  const takesText = (schema: unknown): boolean => {
    if (!schema || typeof schema !== 'object') return false;
    const s = schema as Record<string, unknown>;
    if (s.type === 'string' || (Array.isArray(s.type) && s.type.includes('string'))) return true;
    if (s.type === 'array') return takesText(s.items);
    return ['anyOf', 'oneOf', 'allOf'].some((k) => Array.isArray(s[k]) && (s[k] as unknown[]).some(takesText));
  };

  /** Names of the properties whose value is text, anywhere in the schema. */
  function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
    if (!schema || typeof schema !== 'object') return out;
    const s = schema as Record<string, unknown>;
    if (s.properties && typeof s.properties === 'object') {
      for (const [k, v] of Object.entries(s.properties as Record<string, unknown>)) {
        if (takesText(v)) out.add(k);
        propertyNames(v, out);
      }
    }
    for (const v of Object.values(s)) if (v && typeof v === 'object') propertyNames(v, out);
    return out;
  }

  // The one exception: a file's place inside an upload (stageFile.path, "tfjs/model.json"). It is
  // not a path on this computer: the schema admits only plain relative names, and the studio
  // resolves it under the upload's own folder (UploadStore). The payloads below must be refused.
  const RELATIVE_ONLY: Record<string, { valid: Record<string, unknown>; field: string }> = {
    stageFile: { valid: { uploadId: 'up-12345678', base64: '', append: false }, field: 'path' },
  };

  // File contents may cross (e.g. {name, base64} uploads); a text field named like a path may not.
  it('no request carries a file path', () => {
    for (const name of channelNames) {
      const json = z.toJSONSchema(channels[name].request as z.ZodType, { io: 'input', unrepresentable: 'any' });
      for (const field of propertyNames(json)) {
        if (RELATIVE_ONLY[name]?.field === field) continue;
        expect(PATH_LIKE.test(field) || PATH_LIKE_CAMEL.test(field), `${name}.${field} looks like a file path`).toBe(false);
      }
    }
  });

  it('the upload-relative path admits no absolute path, parent, hidden or drive name', () => {
    for (const [name, { valid, field }] of Object.entries(RELATIVE_ONLY)) {
      const schema = channels[name as keyof typeof channels].request as z.ZodType;
      expect(schema.safeParse({ ...valid, [field]: 'tfjs/model.json' }).success).toBe(true);
      for (const bad of ['/etc/passwd', '../../.bashrc', 'a/../../b', 'C:\\Windows\\x', '.ssh/id_rsa', '~/x', 'a\\..\\b']) {
        expect(schema.safeParse({ ...valid, [field]: bad }).success, `${name}.${field} = ${bad}`).toBe(false);
      }
    }
  });

  it('the path check would catch one', () => {
    const flagged = (schema: z.ZodType) => [...propertyNames(z.toJSONSchema(schema, { io: 'input' }))].some((f) => PATH_LIKE.test(f) || PATH_LIKE_CAMEL.test(f));
    expect(flagged(z.object({ options: z.object({ outputPath: z.string() }) }))).toBe(true);
    expect(flagged(z.object({ files: z.array(z.string()) }))).toBe(true);
    expect(flagged(z.object({ dir: z.string().optional() }))).toBe(true);
    expect(flagged(z.object({ files: z.array(z.object({ name: z.string(), base64: z.string() })) }))).toBe(false);
  });
});

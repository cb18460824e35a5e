/** Start-up order: the sandbox is forced for every renderer and app:// is registered before 'ready'. */
import { expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => [] as string[]);
vi.mock('electron', () => ({
  app: {
    enableSandbox: () => calls.push('enableSandbox'),
    requestSingleInstanceLock: () => true,
    // Never ready: only what happens before 'ready' is checked here.
    whenReady: () => {
      calls.push('whenReady');
      return new Promise(() => {});
    },
    on: (name: string) => calls.push(`on:${name}`),
    quit: () => calls.push('quit'),
  },
  protocol: { registerSchemesAsPrivileged: () => calls.push('registerSchemesAsPrivileged') },
  BrowserWindow: { getAllWindows: () => [] },
  ipcMain: {},
  net: {},
  session: {},
  shell: {},
}));

it('forces the sandbox and registers app:// before the app is ready', async () => {
  await import('./index');
  expect(calls.indexOf('enableSandbox')).toBeGreaterThanOrEqual(0);
  expect(calls.indexOf('enableSandbox')).toBeLessThan(calls.indexOf('whenReady'));
  expect(calls.indexOf('registerSchemesAsPrivileged')).toBeLessThan(calls.indexOf('whenReady'));
});

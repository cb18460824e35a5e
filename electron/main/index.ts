/**
 * Electron's main process: lifecycle, the window, and binding the IPC contract to the studio
 * services. No training or long CPU work happens here (the engine has its own process).
 */
import { app, BrowserWindow } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudio, type Studio } from '../studio';
import { registerIpc } from './ipc';
import { openSystemMidi } from '../midi/index';
import { createStudioWindow, hardenAllContents, registerAppScheme, serveRendererFiles } from './window';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '../renderer');
const preloadPath = path.join(here, '../preload/index.cjs');

// Every renderer sandboxed, whatever its webPreferences say (also windows a bug might create).
app.enableSandbox();
registerAppScheme();
if (!app.requestSingleInstanceLock()) app.quit();

let studio: Studio | undefined;

app.whenReady().then(async () => {
  hardenAllContents();
  serveRendererFiles(rendererDir);
  studio = await createStudio({ mode: 'electron', userDataDir: app.getPath('userData'), openMidi: () => openSystemMidi() });
  registerIpc(studio);
  createStudioWindow(preloadPath);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createStudioWindow(preloadPath);
  });
});

app.on('second-instance', () => {
  const [win] = BrowserWindow.getAllWindows();
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => {
  void studio?.dispose();
});

/**
 * Electron's main process: lifecycle, the window, and binding the IPC contract to the studio
 * services. No training or long CPU work happens here (the engine has its own process).
 */
import { app, BrowserWindow, dialog, utilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Studio } from '../studio';
import type { SaveKind } from '@shared/ipc/channels/files';
import { composeStudio } from '../studio/compose';
import { utilityProcessEngine } from '../studio/engine-client';
import { registerIpc } from './ipc';
import { createStudioWindow, hardenAllContents, registerAppScheme, serveRendererFiles } from './window';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '../renderer');
const preloadPath = path.join(here, '../preload/index.cjs');
const engineEntry = path.join(here, 'engine.js');
// Packaged: resources/models beside app.asar; development: the repository's resources folder.
const builtInModelsDir = app.isPackaged ? path.join(process.resourcesPath, 'models') : path.join(here, '../../resources/models');

// Every renderer sandboxed, whatever its webPreferences say (also windows a bug might create).
app.enableSandbox();
registerAppScheme();
if (!app.requestSingleInstanceLock()) app.quit();

let studio: Studio | undefined;

const SAVE_FILTERS: Record<SaveKind, { name: string; extensions: string[] }> = {
  mid: { name: 'MIDI file', extensions: ['mid'] },
  abc: { name: 'ABC notation', extensions: ['abc'] },
  wav: { name: 'WAV audio', extensions: ['wav'] },
  project: { name: 'Seedsong project', extensions: ['seedsong.json', 'json'] },
  csv: { name: 'CSV table', extensions: ['csv'] },
};

/** The save dialog; `showOverwriteConfirmation` makes Linux ask before replacing, as macOS and Windows do. */
async function chooseSavePath(suggestedName: string, kind: SaveKind): Promise<string | null> {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  const options = {
    title: 'Save',
    defaultPath: path.join(app.getPath('documents'), path.basename(suggestedName)),
    filters: [SAVE_FILTERS[kind]],
    properties: ['createDirectory', 'showOverwriteConfirmation'] as Array<'createDirectory' | 'showOverwriteConfirmation'>,
  };
  const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  return r.canceled || !r.filePath ? null : r.filePath;
}

app.whenReady().then(async () => {
  hardenAllContents();
  serveRendererFiles(rendererDir);
  studio = await composeStudio({
    mode: 'electron',
    userDataDir: app.getPath('userData'),
    spawnEngine: utilityProcessEngine(utilityProcess, engineEntry),
    builtInModelsDir,
    chooseSavePath: (suggestedName, kind) => chooseSavePath(suggestedName, kind),
  });
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

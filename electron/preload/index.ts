/**
 * The preload bridge: exposes the typed StudioApi as `window.seedsong`, one named function per
 * contract channel plus `on`. ipcRenderer itself never reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createStudioApi } from '@shared/ipc/api';
import { ipcChannel, IPC_EVENT_CHANNEL } from '@shared/ipc/wire';

const api = createStudioApi({
  invoke: (channel, payload) => ipcRenderer.invoke(ipcChannel(channel), payload),
  subscribe(listener) {
    const handler = (_event: unknown, message: { name: string; payload: unknown }) => listener(message.name, message.payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
});

contextBridge.exposeInMainWorld('seedsong', api);

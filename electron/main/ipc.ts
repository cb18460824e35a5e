/**
 * Binds every contract channel to the studio through one helper: it checks that the sender is one
 * of our pages, then hands the raw payload to the shared dispatch (zod validation, Result envelope).
 */
import { ipcMain, BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { channelNames } from '@shared/ipc/contract';
import { dispatch } from '@shared/ipc/dispatch';
import { fail } from '@shared/ipc/result';
import { ipcChannel, IPC_EVENT_CHANNEL } from '@shared/ipc/wire';
import type { Studio } from '../studio';
import { isOurPage, isOurUrl } from './window';

const log = {
  warn: (m: string) => console.warn(`seedsong ipc: ${m}`),
  error: (m: string, e?: unknown) => console.error(`seedsong ipc: ${m}`, e ?? ''),
};

/**
 * A call is ours only when it comes from the top frame of a window showing our app:// page: both
 * the frame's own URL and its web contents' URL are checked, so an iframe or a page that navigated
 * away (were navigation ever allowed) cannot reach the studio.
 */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  return isOurUrl(frame.url) && isOurPage(event.sender);
}

/** One signal per window, aborted when its web contents are destroyed (its generations stop then). */
const senderSignals = new WeakMap<object, AbortSignal>();
function signalOf(sender: IpcMainInvokeEvent['sender']): AbortSignal | undefined {
  let signal = senderSignals.get(sender);
  if (!signal && typeof sender.once === 'function') {
    const controller = new AbortController();
    sender.once('destroyed', () => controller.abort());
    signal = controller.signal;
    senderSignals.set(sender, signal);
  }
  return signal;
}

export function registerIpc(studio: Studio): () => void {
  for (const name of channelNames) {
    ipcMain.handle(ipcChannel(name), async (event, payload: unknown) => {
      if (!isTrustedSender(event)) {
        log.warn(`rejected ${name} from a foreign sender (${event.sender.getURL().slice(0, 100)})`);
        return fail('unauthorized', 'calls are only accepted from the studio window');
      }
      return dispatch(studio.handlers, name, payload, { via: 'electron', signal: signalOf(event.sender) }, log);
    });
  }
  const unsubscribe = studio.events.subscribe((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && isOurPage(win.webContents)) win.webContents.send(IPC_EVENT_CHANNEL, { name, payload });
    }
  });
  return () => {
    unsubscribe();
    for (const name of channelNames) ipcMain.removeHandler(ipcChannel(name));
  };
}

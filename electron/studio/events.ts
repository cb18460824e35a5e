/** A typed event bus: services emit contract events, front doors (IPC, WebSocket) forward them. */
import { events, type EventName, type EventOf } from '@shared/ipc/contract';

export type EventListener = (name: EventName, payload: unknown) => void;

export class EventBus {
  private listeners = new Set<EventListener>();

  emit<E extends EventName>(name: E, payload: EventOf<E>): void {
    // Validating outgoing events keeps a service bug from reaching the renderer as a malformed frame.
    const parsed = events[name].safeParse(payload);
    if (!parsed.success) {
      console.error(`seedsong: not sending malformed ${name} event: ${parsed.error.message}`);
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(name, parsed.data);
      } catch (e) {
        console.error(`seedsong: an event listener failed on ${name}`, e);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}

import type { EventNames, EventsMap } from './typed-events';

type Listener = (...args: unknown[]) => void;

/**
 * A minimal typed event emitter: `on` returns an unsubscribe function
 * (socket.io's `on.ts` returns `subDestroy` the same way).
 */
export class Emitter<Listen extends EventsMap> {
  #listeners = new Map<string, Listener[]>();

  /**
   * Registers a listener and returns a function that removes it.
   *
   * @example
   * const off = socket.on('message:new', (msg) => render(msg));
   * off(); // later
   */
  on<Ev extends EventNames<Listen>>(event: Ev, listener: Listen[Ev]): () => void {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as Listener);
    this.#listeners.set(event, list);
    return () => this.off(event, listener);
  }

  /**
   * Registers a listener called at most once; returns an unsubscribe function.
   *
   * @example
   * socket.once('connect', () => console.log('first connection'));
   */
  once<Ev extends EventNames<Listen>>(event: Ev, listener: Listen[Ev]): () => void {
    const wrapper = ((...args: unknown[]) => {
      off();
      (listener as Listener)(...args);
    }) as Listen[Ev];
    const off = this.on(event, wrapper);
    // Let off(event, listener) find the wrapper.
    (wrapper as unknown as { fn: unknown }).fn = listener;
    return off;
  }

  /**
   * Removes one listener, every listener of an event, or every listener.
   *
   * @example
   * socket.off('message:new', render);
   * socket.off('user:typing');
   * socket.off();
   */
  off<Ev extends EventNames<Listen>>(event?: Ev, listener?: Listen[Ev]): this {
    if (event === undefined) {
      this.#listeners.clear();
    } else if (listener === undefined) {
      this.#listeners.delete(event);
    } else {
      const list = this.#listeners.get(event) ?? [];
      const i = list.findIndex((l) => l === listener || (l as unknown as { fn?: unknown }).fn === listener);
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  /**
   * The listeners of an event.
   *
   * @example
   * if (socket.listeners('user:typing').length === 0) stopRenderingTyping();
   */
  listeners<Ev extends EventNames<Listen>>(event: Ev): Listen[Ev][] {
    return [...(this.#listeners.get(event) ?? [])] as Listen[Ev][];
  }

  /**
   * Calls the listeners of an event; a throwing listener does not stop the
   * others. Untyped on purpose: subclasses emit reserved and server events
   * whose map is a type parameter.
   */
  protected emitLocal(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (err) {
        // A bug in one listener must not break delivery to the others or the socket.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

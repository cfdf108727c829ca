/** A listener for one event of an {@link Emitter}. */
export type Listener<T> = (payload: T) => void

/**
 * A small typed event emitter. Unlike `node:events`, an `error` event without listeners is not thrown.
 * @example const events = new Emitter<{ ready: { pid: number } }>(); events.on('ready', ({ pid }) => {})
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event)
    if (!set) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener as Listener<never>)
    return () => this.off(event, listener)
  }

  /** Adds a listener that runs once. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(event, (payload) => {
      off()
      listener(payload)
    })
    return off
  }

  /** Removes a listener. */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>)
  }

  /** Calls every listener of `event`; a throwing listener does not stop the others. */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        ;(listener as Listener<Events[K]>)(payload)
      } catch {
        // A listener's bug must not break supervision.
      }
    }
  }
}

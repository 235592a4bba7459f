// MCP sessions bound to the principal that opened them. A session id is a bearer of state on
// the server; whoever holds it can act in that session. So the gateway remembers who opened
// each session and refuses anyone else presenting it, and it refuses session ids it never saw
// (after a sidecar restart the client simply re-initializes). "MCP Servers MUST NOT use
// sessions for authentication": every request still carries and verifies its own token.

export type SessionCheck = 'ok' | 'unknown' | 'foreign';

interface Entry {
  readonly owner: string;
  lastSeen: number;
}

export interface SessionRegistryOptions {
  /** Sessions idle longer than this are forgotten (the client re-initializes). */
  readonly idleMs?: number;
  /** Upper bound on remembered sessions; the least recently used go first. */
  readonly max?: number;
  readonly now?: () => number;
}

export class SessionRegistry {
  readonly #sessions = new Map<string, Entry>();
  readonly #idleMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: SessionRegistryOptions = {}) {
    this.#idleMs = options.idleMs ?? 24 * 3_600_000;
    this.#max = options.max ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  bind(sessionId: string, owner: string): void {
    this.#sessions.delete(sessionId); // re-insert: Map order is our LRU order
    this.#sessions.set(sessionId, { owner, lastSeen: this.#now() });
    while (this.#sessions.size > this.#max) this.#sessions.delete(this.#sessions.keys().next().value!);
  }

  check(sessionId: string, owner: string): SessionCheck {
    const entry = this.#sessions.get(sessionId);
    if (entry === undefined) return 'unknown';
    if (this.#now() - entry.lastSeen > this.#idleMs) {
      this.#sessions.delete(sessionId);
      return 'unknown';
    }
    if (entry.owner !== owner) return 'foreign';
    entry.lastSeen = this.#now();
    this.#sessions.delete(sessionId);
    this.#sessions.set(sessionId, entry);
    return 'ok';
  }

  forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }
}

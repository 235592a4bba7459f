// Readiness is the conjunction of what each part of the sidecar reports about itself (policy
// loaded, JWKS fetched, audit log writable ...). /readyz shows every part and why it is not
// ready, so an operator reading `kubectl describe pod` learns the cause, not just "503".

export interface HealthState {
  readonly ok: boolean;
  /** Shown on /readyz; required when not ok. */
  readonly reason?: string;
  /** Ready, but degraded in a way an operator should know (e.g. enforcing a stale policy). */
  readonly warning?: string;
}

export class Readiness {
  readonly #checks = new Map<string, () => HealthState>();

  /** Registers (or replaces) a named check; it is called on every /readyz. */
  register(name: string, check: () => HealthState): void {
    this.#checks.set(name, check);
  }

  report(): { ready: boolean; checks: Record<string, HealthState> } {
    const checks: Record<string, HealthState> = {};
    let ready = true;
    for (const [name, check] of this.#checks) {
      let state: HealthState;
      try {
        state = check();
      } catch (err) {
        state = { ok: false, reason: `check failed: ${(err as Error).message}` };
      }
      checks[name] = state;
      ready &&= state.ok;
    }
    return { ready, checks };
  }
}

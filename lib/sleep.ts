// A wait that an abort ends early (resolving, not rejecting: a stopping loop just checks its
// signal), and that takes its abort listener back when the timer fires, so a loop that sleeps on
// one long-lived signal does not pile up a listener per turn.
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

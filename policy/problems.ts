// A problem found in a policy: where (a field path), what, and whether it stops the policy.

export type PathSegment = string | number;

export interface Problem {
  readonly segments: readonly PathSegment[];
  readonly message: string;
  /** Warnings are printed but do not make a policy invalid. */
  readonly severity: 'error' | 'warning';
  /** Whether the mapping key, not its value, is what is wrong (an unknown field). */
  readonly atKey?: boolean;
}

/** `spec.egress.upstreams[1].region`, the form kubectl explain and the API server use. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out === '' ? '(document)' : out;
}

/** A value quoted for a message, cut short so a huge value cannot flood the output. */
export function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export class ProblemList {
  readonly items: Problem[] = [];
  error(segments: readonly PathSegment[], message: string, atKey = false): void {
    this.items.push({ segments, message, severity: 'error', atKey });
  }
  warning(segments: readonly PathSegment[], message: string): void {
    this.items.push({ segments, message, severity: 'warning' });
  }
  get hasErrors(): boolean {
    return this.items.some((p) => p.severity === 'error');
  }
}

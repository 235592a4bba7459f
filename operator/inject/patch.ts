// The JSON patch an admission response carries: computed by diffing the pod before and after
// injection (as Istio and Pepr do), so the patch can never disagree with the injected pod the
// golden files show, and escaping (`mcpresidency.io~1status`) is the library's job.
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

export type PatchOperation = Operation;

export function diff(before: object, after: object): PatchOperation[] {
  return fastJsonPatch.compare(before, after);
}

/** Applies a patch to a copy (tests use it to check that patch(before) == after). */
export function applyPatch<T extends object>(doc: T, ops: readonly PatchOperation[]): T {
  return fastJsonPatch.applyPatch(structuredClone(doc), [...ops], true, false).newDocument;
}

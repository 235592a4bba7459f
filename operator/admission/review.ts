// admission.k8s.io/v1 AdmissionReview: what the API server sends a webhook and what it wants back.
import type { PatchOperation } from '../inject/patch.ts';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  namespace?: string;
  name?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo?: { username?: string; groups?: string[] };
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export class BadReviewError extends Error {}

export function parseReview(body: unknown): AdmissionRequest {
  if (typeof body !== 'object' || body === null) throw new BadReviewError('the body is not an AdmissionReview object');
  const review = body as Partial<AdmissionReview>;
  if (review.kind !== 'AdmissionReview' || review.apiVersion !== 'admission.k8s.io/v1') {
    throw new BadReviewError(`expected admission.k8s.io/v1 AdmissionReview, got ${String(review.apiVersion)} ${String(review.kind)}`);
  }
  const req = review.request;
  if (!req || typeof req.uid !== 'string' || typeof req.operation !== 'string') throw new BadReviewError('the AdmissionReview has no request (uid, operation)');
  return req;
}

export function reviewOf(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

const withWarnings = (warnings: readonly string[] | undefined): Pick<AdmissionResponse, 'warnings'> =>
  warnings && warnings.length > 0 ? { warnings: [...warnings] } : {};

export function allow(uid: string, warnings?: readonly string[]): AdmissionResponse {
  return { uid, allowed: true, ...withWarnings(warnings) };
}

/** The message reaches the user as `admission webhook "..." denied the request: <message>`. */
export function deny(uid: string, message: string, code = 403, reason = 'Forbidden'): AdmissionResponse {
  return { uid, allowed: false, status: { code, reason, message } };
}

export function patched(uid: string, ops: readonly PatchOperation[], warnings?: readonly string[]): AdmissionResponse {
  if (ops.length === 0) return allow(uid, warnings);
  return { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64'), ...withWarnings(warnings) };
}

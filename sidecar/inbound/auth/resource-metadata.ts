// RFC 9728 Protected Resource Metadata and the RFC 6750 challenges that point clients to it,
// as the MCP authorization spec (2025-06-18 onwards) asks of an MCP server.
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedAuthentication } from '../../../policy/types.ts';
import type { AuthFailure } from './verifier.ts';

export const PRM_PREFIX = '/.well-known/oauth-protected-resource';

/**
 * The origin clients used to reach us. Behind an ingress that terminates TLS the forwarded
 * headers carry it; they only shape what we say about ourselves, never a decision.
 */
export function externalOrigin(headers: IncomingHttpHeaders): string {
  const proto = first(headers['x-forwarded-proto']) ?? 'http';
  const host = first(headers['x-forwarded-host']) ?? headers.host ?? 'localhost';
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',')[0]?.trim() || undefined;
}

/** Where the metadata of the resource at `path` lives (the path-suffixed form clients try first). */
export function metadataUrl(origin: string, path: string): string {
  return `${origin}${PRM_PREFIX}${path === '/' ? '' : path}`;
}

/** The metadata document for a request to `${PRM_PREFIX}${suffix}`. */
export function metadataDocument(origin: string, suffix: string, auth: Extract<ResolvedAuthentication, { mode: 'oidc' }>): Record<string, unknown> {
  return {
    resource: `${origin}${suffix}`,
    authorization_servers: [auth.issuer],
    bearer_methods_supported: ['header'],
    ...(auth.requiredScopes.length > 0 ? { scopes_supported: auth.requiredScopes } : {}),
    resource_name: 'MCP server protected by mcp-residency',
  };
}

/** The WWW-Authenticate value for a refused request. */
export function challenge(failure: AuthFailure, resourceMetadata: string, requiredScopes: readonly string[]): string {
  const parts = [`resource_metadata="${resourceMetadata}"`];
  if (requiredScopes.length > 0) parts.push(`scope="${requiredScopes.join(' ')}"`);
  if (failure.error !== undefined) {
    parts.push(`error="${failure.error}"`);
    parts.push(`error_description="${failure.description.replace(/["\\]/gu, '')}"`);
  }
  return `Bearer ${parts.join(', ')}`;
}

// DNS-rebinding protection (MCP transports: "Servers MUST validate the Origin header"). A page
// on evil.example whose name resolves to the sidecar sends Origin: http://evil.example and a
// matching Host, so comparing the two proves nothing: only origins the policy names pass.
// Requests without Origin (every non-browser client) are not affected.

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const normalized = origin.replace(/\/$/u, '').toLowerCase();
  return allowed.some((a) => a.replace(/\/$/u, '').toLowerCase() === normalized);
}

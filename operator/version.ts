// The product version, recorded in every injected pod's status annotation and the default
// sidecar image tag. Read from package.json, found by walking up from this file, so it works
// from the sources and from dist/ alike.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

export function productVersion(): string {
  if (cached) return cached;
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mcp-residency' && pkg.version) return (cached = pkg.version);
    } catch {
      /* not here */
    }
    if (dirname(dir) === dir) return (cached = '0.0.0-unknown');
  }
}

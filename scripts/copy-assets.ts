// Copies into dist/ the data files the compiled code reads at run time, which tsc does not emit
// (it copies only what is imported, such as JSON modules). `make build` and the image's
// `npm run build` both run this, so a file listed here is in every build; a test runs the built
// CLI on data that needs each of them.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Repository-relative paths, copied to the same place under dist/. */
export const RUNTIME_ASSETS = ['sidecar/masking/people/names.txt'] as const;

const root = join(import.meta.dirname, '..');
for (const file of RUNTIME_ASSETS) {
  mkdirSync(dirname(join(root, 'dist', file)), { recursive: true });
  copyFileSync(join(root, file), join(root, 'dist', file));
}

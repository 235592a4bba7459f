// Writes crds/*.yaml (and the chart's copy) and policy/spec-schema.json (what the sidecar validates policies against)
// from the policy schema (`make crds`). Tests compare the committed files with this output, so a
// schema change without regenerating fails CI.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CRD_FILES, renderCrd, renderSpecSchema, SPEC_SCHEMA_FILE } from '../policy/crd.ts';

// The chart ships the same files (helm installs CRDs from its crds/ folder); a test compares them.
const root = join(import.meta.dirname, '..');
for (const dir of ['crds', 'charts/mcp-residency/crds']) {
  await mkdir(join(root, dir), { recursive: true });
  for (const { file, build } of CRD_FILES) {
    await writeFile(join(root, dir, file), renderCrd(build()));
    console.log(`wrote ${dir}/${file}`);
  }
}
await writeFile(join(import.meta.dirname, '..', SPEC_SCHEMA_FILE), renderSpecSchema());
console.log(`wrote ${SPEC_SCHEMA_FILE}`);

// Writes crds/*.yaml and policy/spec-schema.json (what the sidecar validates policies against)
// from the policy schema (`make crds`). Tests compare the committed files with this output, so a
// schema change without regenerating fails CI.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CRD_FILES, renderCrd, renderSpecSchema, SPEC_SCHEMA_FILE } from '../policy/crd.ts';

const dir = join(import.meta.dirname, '..', 'crds');
await mkdir(dir, { recursive: true });
for (const { file, build } of CRD_FILES) {
  await writeFile(join(dir, file), renderCrd(build()));
  console.log(`wrote crds/${file}`);
}
await writeFile(join(import.meta.dirname, '..', SPEC_SCHEMA_FILE), renderSpecSchema());
console.log(`wrote ${SPEC_SCHEMA_FILE}`);

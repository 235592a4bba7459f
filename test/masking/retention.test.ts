// The masker's key caches outlive a call. V8 cuts a substring of 13 or more characters as a view
// into the text it came from, so a cached long key would keep the whole payload (and the personal
// data in it) in memory until the cache evicts it. Keys of parsed objects are no such views (a
// property key is interned, a copy), but the walker over JSON text cuts its keys from the text.
// This masks a large payload whose keys are long, lets go of it, and requires the heap to give it back.
import { expect } from 'chai';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BUILTIN_DETECTORS } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const MB = 2 ** 20;

/** About 32 MB of records under keys no earlier test has cached, built inside so nothing else holds it. */
function payload(tag: string): string {
  const filler = 'x'.repeat(1000);
  const rows = Array.from({ length: 32 * 1024 }, (_, i) => `{"customerReference${tag}":"n${i}","note${tag}Description":"${filler}"}`);
  return `[${rows.join(',')}]`;
}

function heapAfterGc(): number {
  gc();
  gc();
  return v8.getHeapStatistics().used_heap_size;
}

describe('masking: caches keep no payload alive', () => {
  const masker = new Masker({ mode: 'redact', detectors: BUILTIN_DETECTORS, custom: [], fields: [] });

  it('maskJsonText (the walker over JSON text) lets a masked payload go', () => {
    const before = heapAfterGc();
    (() => {
      const out = masker.maskJsonText(payload('Text'));
      expect(out.length).to.be.greaterThan(30 * MB);
    })();
    expect((heapAfterGc() - before) / MB).to.be.lessThan(4);
  });
});

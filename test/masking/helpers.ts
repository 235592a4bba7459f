import { BUILTIN_DETECTORS, type BuiltinDetector } from '../../policy/builtin-detectors.ts';
import type { CustomDetector } from '../../policy/types.ts';
import { Masker, type MaskingConfig } from '../../sidecar/masking/engine.ts';

export const KEY = Buffer.from('test-key-0123456789abcdef');

export function redactor(overrides: Partial<MaskingConfig> = {}): Masker {
  return new Masker({ mode: 'redact', detectors: BUILTIN_DETECTORS, custom: [], fields: [], ...overrides });
}

export function pseudonymizer(overrides: Partial<MaskingConfig> = {}): Masker {
  return new Masker({ mode: 'pseudonymize', key: KEY, detectors: BUILTIN_DETECTORS, custom: [], fields: [], ...overrides });
}

/** [TYPE, matched text] for every finding, in order. */
export function found(text: string, detectors: readonly BuiltinDetector[] = BUILTIN_DETECTORS, custom: readonly CustomDetector[] = []): [string, string][] {
  return redactor({ detectors, custom })
    .detect(text)
    .map((f) => [f.type, text.slice(f.start, f.end)]);
}

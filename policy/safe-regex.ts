// Regular expressions written by policy authors run on untrusted text (tool results, prompts),
// so a pattern like (a+)+$ must not be able to stall the sidecar.
//
// How: V8 can run a regular expression on its linear-time engine when backtracking gets out of
// hand (--enable-experimental-regexp-engine-on-excessive-backtracks). Ordinary input keeps
// irregexp's speed; hostile input is bounded to linear time. That only works for patterns the
// linear engine supports (no backreferences, no lookaround, no i/u/v flags, small counted
// repetitions), so validation accepts only such patterns: a pattern that passes here cannot
// backtrack catastrophically.
import v8 from 'node:v8';
import { RegExpParser, RegExpSyntaxError, visitRegExpAST } from '@eslint-community/regexpp';

v8.setFlagsFromString('--enable-experimental-regexp-engine');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/** The largest {n,m} bound accepted; V8's linear engine refuses much larger ones anyway. */
export const MAX_REPETITION = 100;

const parser = new RegExpParser({ ecmaVersion: 2025 });
const EMPTY_MATCH_PROBES = ['', 'a', '0', ' ', '-'];

/** Returns why `pattern` is not safe to run on untrusted text, or undefined when it is. */
export function unsafeRegexReason(pattern: string): string | undefined {
  let ast;
  try {
    ast = parser.parsePattern(pattern, 0, pattern.length, { unicode: false, unicodeSets: false });
  } catch (err) {
    if (err instanceof RegExpSyntaxError) return `invalid regular expression at offset ${err.index}: ${stripPrefix(err.message)}`;
    throw err;
  }
  const reasons: string[] = [];
  visitRegExpAST(ast, {
    onBackreferenceEnter: (node) => reasons.push(`backreference ${node.raw} is not allowed (it cannot run in linear time)`),
    onAssertionEnter: (node) => {
      if (node.kind === 'lookahead' || node.kind === 'lookbehind') {
        reasons.push(`${node.kind} ${node.raw} is not allowed (it cannot run in linear time)`);
      }
    },
    onQuantifierEnter: (node) => {
      const bound = Number.isFinite(node.max) ? node.max : node.min;
      if (bound > MAX_REPETITION) reasons.push(`repetition ${node.raw.slice(node.element.raw.length)} exceeds the limit of ${MAX_REPETITION}`);
    },
  });
  if (reasons.length > 0) return reasons[0];
  try {
    // The authoritative check: V8's own linear engine accepts the pattern.
    // eslint-disable-next-line no-invalid-regexp -- 'l' (linear) exists once the V8 flag above is set
    new RegExp(pattern, 'l');
  } catch {
    return 'pattern cannot run on the linear-time engine (too large after expanding repetitions)';
  }
  const probe = new RegExp(pattern);
  if (EMPTY_MATCH_PROBES.some((text) => probe.exec(text)?.[0] === '')) {
    return 'pattern can match the empty string, so it would match everywhere';
  }
  return undefined;
}

/** Compiles a validated custom pattern for global scanning. Throws on an unsafe pattern. */
export function compileSafeRegex(pattern: string): RegExp {
  const reason = unsafeRegexReason(pattern);
  if (reason !== undefined) throw new Error(`unsafe pattern ${JSON.stringify(pattern)}: ${reason}`);
  return new RegExp(pattern, 'g');
}

function stripPrefix(message: string): string {
  // regexpp messages read "Invalid regular expression: /x/: Unterminated group"; keep the reason.
  const i = message.lastIndexOf(': ');
  return i >= 0 ? message.slice(i + 2) : message;
}

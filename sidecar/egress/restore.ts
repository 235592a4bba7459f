// Putting original values back into a provider's answer (pseudonymize mode). The request was
// masked with [TYPE_xxxxxxxx] tokens; a model that echoes a token should give the application
// the value it stands for. Only the map of the same request is used: a token the request did
// not produce stays a token. Pure: strings in, strings out.
//
// Streams split text anywhere, also inside a token ("[EMAIL_3f" + "a9c2d1]"). A ChannelRestorer
// holds back the end of a piece when it could still become a token, and decides it with the
// next piece (or lets it go unchanged at the end).

/** How an original value is written where a token stood: as is, or escaped for a JSON string. */
export type Escape = 'none' | 'json';

export class TokenMap {
  readonly size: number;
  /** Length of the longest token. */
  readonly maxLength: number;
  readonly #raw: ReadonlyMap<string, string>;
  readonly #json = new Map<string, string>();
  /** Every proper prefix of every token, each starting with "[". */
  readonly #prefixes = new Set<string>();
  /** Matches where a token, or the start of one ending a JSON string, could be in JSON text. */
  readonly #inJson: RegExp;

  constructor(map: ReadonlyMap<string, string>) {
    this.#raw = map;
    this.size = map.size;
    let max = 0;
    for (const [token, original] of map) {
      max = Math.max(max, token.length);
      this.#json.set(token, JSON.stringify(original).slice(1, -1));
      for (let i = 1; i < token.length; i++) this.#prefixes.add(token.slice(0, i));
    }
    this.maxLength = max;
    const seconds = new Set([...map.keys()].map((t) => t.charAt(1)));
    this.#inJson = new RegExp(`\\[[${[...seconds, '"'].map((c) => c.replace(/[\\\]^-]/gu, '\\$&')).join('')}]`, 'u');
  }

  /**
   * False when JSON text cannot hold a token nor end a string with the start of one: a quick
   * test that lets most events of a stream pass without being parsed.
   */
  mayMatterInJson(text: string): boolean {
    return this.size > 0 && this.#inJson.test(text);
  }

  original(token: string, escape: Escape): string | undefined {
    return escape === 'json' ? this.#json.get(token) : this.#raw.get(token);
  }

  /** True when `text` is the beginning of some token but not a whole one. */
  isProperPrefix(text: string): boolean {
    return this.#prefixes.has(text);
  }
}

/** Every whole token of `map` in `text` replaced by its original. */
export function restoreText(text: string, map: TokenMap, escape: Escape): string {
  if (map.size === 0) return text;
  let open = text.indexOf('[');
  if (open < 0) return text;
  let out = '';
  let copied = 0;
  let close = -1;
  while (open >= 0) {
    // One search per "]": a run of "[" before it must not rescan the text for each.
    if (close <= open) close = text.indexOf(']', open + 1);
    if (close < 0) break;
    if (close - open + 1 <= map.maxLength) {
      const original = map.original(text.slice(open, close + 1), escape);
      if (original !== undefined) {
        out += text.slice(copied, open) + original;
        copied = close + 1;
        open = text.indexOf('[', close + 1);
        continue;
      }
    }
    // A "[" inside a longer bracket may start a token itself ("[[EMAIL_..]]").
    open = text.indexOf('[', open + 1);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Where the held-back tail of `text` starts: the first "[" in the last maxLength-1 characters
 * from which the rest is a proper prefix of a token; text.length when nothing needs holding.
 * A proper prefix holds no "]", so no whole token straddles the cut.
 */
export function holdbackIndex(text: string, map: TokenMap): number {
  if (map.size === 0) return text.length;
  const from = Math.max(0, text.length - (map.maxLength - 1));
  let i = text.indexOf('[', from);
  while (i >= 0) {
    if (map.isProperPrefix(text.slice(i))) return i;
    i = text.indexOf('[', i + 1);
  }
  return text.length;
}

/** Restores one stream of text pieces (one delta channel, one response body). */
export class ChannelRestorer {
  readonly #map: TokenMap;
  readonly #escape: Escape;
  #held = '';

  constructor(map: TokenMap, escape: Escape) {
    this.#map = map;
    this.#escape = escape;
  }

  get pending(): string {
    return this.#held;
  }

  /** What may be released of `piece` now, restored. */
  push(piece: string): string {
    const text = this.#held === '' ? piece : this.#held + piece;
    if (text.indexOf('[') < 0) {
      this.#held = '';
      return text;
    }
    const cut = holdbackIndex(text, this.#map);
    this.#held = text.slice(cut);
    return restoreText(cut === text.length ? text : text.slice(0, cut), this.#map, this.#escape);
  }

  /** The held-back rest at the end of the stream: it never became a token, so it goes as is. */
  flush(): string {
    const rest = this.#held;
    this.#held = '';
    return rest;
  }
}

/**
 * Restores every string in a JSON value in place: strings holding JSON text (tool-call
 * arguments) get originals escaped for JSON, other strings get them as is. Returns whether
 * anything changed.
 */
export function restoreJsonValue(value: unknown, map: TokenMap, depth = 0): { value: unknown; changed: boolean } {
  if (typeof value === 'string') {
    const out = restoreText(value, map, 'none');
    if (out === value) return { value, changed: false };
    return { value: looksLikeJson(value) ? restoreText(value, map, 'json') : out, changed: true };
  }
  if (depth > 128 || value === null || typeof value !== 'object') return { value, changed: false };
  let changed = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = restoreJsonValue(value[i], map, depth + 1);
      if (r.changed) {
        value[i] = r.value;
        changed = true;
      }
    }
    return { value, changed };
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const r = restoreJsonValue(obj[key], map, depth + 1);
    if (r.changed) {
      obj[key] = r.value;
      changed = true;
    }
  }
  return { value, changed };
}

function looksLikeJson(s: string): boolean {
  const c = s.trimStart()[0];
  if (c !== '{' && c !== '[') return false;
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

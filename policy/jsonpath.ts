// The JSONPath subset `masking.fields` accepts: `$`, `.name`, `['name']`, `["name"]`, `[0]`,
// `[*]`, `.*` and `..name` / `..*` (any depth). Filters and slices are refused: a field list
// names places in a document, it does not query it.

export class JsonPathSyntaxError extends Error {}

export type PathSegment =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'descendant'; readonly name: string | undefined };

export type JsonPath = readonly PathSegment[];

const IDENT = /^[A-Za-z_$][\w$-]*/u;

export function parseJsonPath(src: string): JsonPath {
  if (!src.startsWith('$')) throw new JsonPathSyntaxError(`"${src}" must start with "$"`);
  const out: PathSegment[] = [];
  let i = 1;
  const fail = (what: string): never => {
    throw new JsonPathSyntaxError(`"${src}": ${what} at offset ${i}`);
  };
  while (i < src.length) {
    if (src.startsWith('..', i)) {
      i += 2;
      if (src[i] === '*') {
        out.push({ kind: 'descendant', name: undefined });
        i++;
        continue;
      }
      const m = IDENT.exec(src.slice(i));
      if (!m) fail('expected a name after ".."');
      out.push({ kind: 'descendant', name: m![0] });
      i += m![0].length;
    } else if (src[i] === '.') {
      i++;
      if (src[i] === '*') {
        out.push({ kind: 'wildcard' });
        i++;
        continue;
      }
      const m = IDENT.exec(src.slice(i));
      if (!m) fail('expected a name after "."');
      out.push({ kind: 'name', name: m![0] });
      i += m![0].length;
    } else if (src[i] === '[') {
      const close = findClose(src, i);
      if (close < 0) fail('"[" is never closed');
      const body = src.slice(i + 1, close).trim();
      if (body === '*') out.push({ kind: 'wildcard' });
      else if (/^\d+$/u.test(body)) out.push({ kind: 'index', index: Number(body) });
      else if (/^'(?:[^'\\]|\\.)*'$|^"(?:[^"\\]|\\.)*"$/u.test(body)) {
        out.push({ kind: 'name', name: body.slice(1, -1).replace(/\\(.)/gu, '$1') });
      } else fail(`unsupported selector [${body}] (use [n], [*] or ['name'])`);
      i = close + 1;
    } else {
      fail(`unexpected "${src[i]}"`);
    }
  }
  if (out.length === 0) throw new JsonPathSyntaxError(`"${src}" selects the whole document; name a field`);
  return out;
}

function findClose(src: string, open: number): number {
  let quote: string | undefined;
  for (let j = open + 1; j < src.length; j++) {
    const c = src[j];
    if (quote !== undefined) {
      if (c === '\\') j++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ']') return j;
  }
  return -1;
}

/** Whether a concrete location (keys and array indexes from the root) is selected by `path`. */
export function pathMatches(path: JsonPath, location: readonly (string | number)[]): boolean {
  return matchFrom(path, 0, location, 0);
}

function matchFrom(path: JsonPath, p: number, loc: readonly (string | number)[], l: number): boolean {
  if (p === path.length) return l === loc.length;
  if (l === loc.length) return false;
  const seg = path[p]!;
  const key = loc[l]!;
  switch (seg.kind) {
    case 'name':
      return key === seg.name && matchFrom(path, p + 1, loc, l + 1);
    case 'index':
      return key === seg.index && matchFrom(path, p + 1, loc, l + 1);
    case 'wildcard':
      return matchFrom(path, p + 1, loc, l + 1);
    case 'descendant':
      // ..name matches `name` at this depth or any deeper one.
      for (let k = l; k < loc.length; k++) {
        if ((seg.name === undefined || loc[k] === seg.name) && matchFrom(path, p + 1, loc, k + 1)) return true;
      }
      return false;
  }
}

// Tool-name globs: `*` any run of characters, `?` one character, `[abc]`/`[a-z]`/`[!a-z]` a
// class, `\` escapes the next character.
//
// Tool names come from the MCP server, so matching must stay cheap whatever they are: the
// two-pointer wildcard algorithm below is O(name × glob) with no regex backtracking.

export class GlobSyntaxError extends Error {}

type Token =
  | { readonly kind: 'char'; readonly c: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'star' }
  | { readonly kind: 'class'; readonly negate: boolean; readonly ranges: readonly (readonly [string, string])[] };

export interface Glob {
  readonly source: string;
  matches(name: string): boolean;
}

export function compileGlob(source: string): Glob {
  const tokens = parse(source);
  return { source, matches: (name) => match(tokens, name) };
}

function parse(glob: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new GlobSyntaxError(`"${glob}": trailing "\\" escapes nothing`);
      tokens.push({ kind: 'char', c: next });
      i++;
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new GlobSyntaxError(`"${glob}": "[" at offset ${i} is never closed`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      if (body.length === 0) throw new GlobSyntaxError(`"${glob}": empty character class at offset ${i}`);
      const ranges: (readonly [string, string])[] = [];
      for (let j = 0; j < body.length; j++) {
        const lo = body[j]!;
        if (body[j + 1] === '-' && j + 2 < body.length) {
          const hi = body[j + 2]!;
          if (lo > hi) throw new GlobSyntaxError(`"${glob}": range "${lo}-${hi}" is reversed`);
          ranges.push([lo, hi]);
          j += 2;
        } else {
          ranges.push([lo, lo]);
        }
      }
      tokens.push({ kind: 'class', negate, ranges });
      i = end;
    } else if (c === ']') {
      throw new GlobSyntaxError(`"${glob}": "]" at offset ${i} has no opening "["`);
    } else {
      tokens.push({ kind: 'char', c });
    }
  }
  return tokens;
}

function matchOne(t: Token, c: string): boolean {
  switch (t.kind) {
    case 'char':
      return t.c === c;
    case 'any':
      return true;
    case 'class':
      return t.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== t.negate;
    case 'star':
      return false;
  }
}

function match(tokens: readonly Token[], name: string): boolean {
  let t = 0;
  let n = 0;
  let starT = -1;
  let starN = 0;
  while (n < name.length) {
    const tok = tokens[t];
    if (tok !== undefined && tok.kind === 'star') {
      starT = t++;
      starN = n;
    } else if (tok !== undefined && matchOne(tok, name[n]!)) {
      t++;
      n++;
    } else if (starT >= 0) {
      // Let the last star swallow one more character and retry from there.
      t = starT + 1;
      n = ++starN;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

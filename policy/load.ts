// Reading policies from YAML (what `kubectl apply -f` takes, one or many documents per file)
// and turning problems into lines that name the file, the line and column, and the field path.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { formatPath, type Problem } from './problems.ts';
import type { ResolvedPolicy } from './types.ts';
import { POLICY_API_VERSION, validatePolicy } from './validate.ts';
import { API_GROUP, POLICY_KIND } from './names.ts';

export interface Report {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly path: string | undefined;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface LoadedPolicies {
  readonly policies: readonly ResolvedPolicy[];
  readonly reports: readonly Report[];
  /** Documents of other kinds in the file, skipped: "Deployment/web". */
  readonly skipped: readonly string[];
}

export function formatReport(r: Report): string {
  const where = r.line === undefined ? r.file : `${r.file}:${r.line}:${r.column}`;
  const prefix = r.severity === 'warning' ? 'warning: ' : '';
  return r.path === undefined ? `${where}: ${prefix}${r.message}` : `${where}: ${prefix}${r.path}: ${r.message}`;
}

export async function loadPolicyFile(file: string): Promise<LoadedPolicies> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    return { policies: [], skipped: [], reports: [{ file, line: undefined, column: undefined, path: undefined, message: `cannot read: ${why}`, severity: 'error' }] };
  }
  return parsePolicies(text, file);
}

/** Parses every document of a YAML text and validates each MCPResidencyPolicy in it. */
export function parsePolicies(text: string, file: string): LoadedPolicies {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const reports: Report[] = [];
  const policies: ResolvedPolicy[] = [];
  const skipped: string[] = [];
  const docList = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // parseAllDocuments returns an EmptyStream for a text with no documents at all.
    reports.push({ file, line: undefined, column: undefined, path: undefined, message: 'is empty: no YAML documents', severity: 'error' });
  }
  for (const doc of docList) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = lines.linePos(e.pos[0]);
        reports.push({ file, line: pos.line, column: pos.col, path: undefined, message: `YAML syntax error: ${firstLine(e.message)}`, severity: 'error' });
      }
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue; // an empty document, e.g. after a trailing ---
    const kind = (value as Record<string, unknown>).kind;
    const apiVersion = (value as Record<string, unknown>).apiVersion;
    if (typeof kind === 'string' && kind !== POLICY_KIND && typeof apiVersion === 'string' && !apiVersion.startsWith(`${API_GROUP}/`)) {
      const name = ((value as Record<string, unknown>).metadata as Record<string, unknown> | undefined)?.name;
      skipped.push(`${kind}/${typeof name === 'string' ? name : '?'}`);
      continue;
    }
    const result = validatePolicy(value);
    for (const problem of result.problems) reports.push(locate(problem, doc, lines, file));
    if (result.policy) policies.push(result.policy);
  }
  if (reports.length === 0 && policies.length === 0) {
    reports.push({ file, line: undefined, column: undefined, path: undefined, message: `holds no ${POLICY_KIND} (apiVersion ${POLICY_API_VERSION})`, severity: 'error' });
  }
  return { policies, reports, skipped };
}

/** Finds the line of the deepest node on the problem's path that exists in the document. */
function locate(problem: Problem, doc: Document, lines: LineCounter, file: string): Report {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const seg of problem.segments) {
    let next: unknown;
    if (isMap(node)) {
      // Point at the key for a mapping entry: it is what the author typed and is on the right line.
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      next = pair.value;
      const valueOffset = rangeStart(next);
      if (valueOffset !== undefined && problem.segments.at(-1) === seg && isScalar(next) && problem.atKey !== true) offset = valueOffset;
    } else if (node !== null && typeof node === 'object' && 'items' in node && Array.isArray(node.items) && typeof seg === 'number') {
      next = node.items[seg];
      if (next === undefined) break;
      offset = rangeStart(next) ?? offset;
    } else break;
    node = next;
  }
  const pos = offset === undefined ? undefined : lines.linePos(offset);
  return { file, line: pos?.line, column: pos?.col, path: formatPath(problem.segments), message: problem.message, severity: problem.severity };
}

function rangeStart(node: unknown): number | undefined {
  if (node !== null && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) return node.range[0] as number;
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/u, '');
}

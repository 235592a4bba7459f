// Structural validation: checks a value against the schema in schema.ts the way the API server
// checks it against the CRD (types, required fields, enums, patterns, bounds, list keys), but
// with messages that name the field path and say what was expected. Unknown fields, which the
// API server would silently prune, are errors here, with a "did you mean".
import type { TSchema } from 'typebox';
import { CUSTOM_TYPE_NAME, DNS_LABEL, DNS_SUBDOMAIN, HEADER_NAME, SECRET_KEY } from './names.ts';
import { type PathSegment, type ProblemList, show } from './problems.ts';
import { closestMatches, didYouMean } from './suggest.ts';

/** The JSON Schema keywords this project's schemas use. */
interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

const PATTERN_MEANING: Record<string, string> = {
  [DNS_LABEL]: 'a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
  [DNS_SUBDOMAIN]: 'a DNS subdomain name: lowercase letters, digits, "-" and "."',
  [SECRET_KEY]: 'a Secret key: letters, digits, "-", "_" and "."',
  [HEADER_NAME]: 'an HTTP header name',
  [CUSTOM_TYPE_NAME]: 'UPPER_SNAKE_CASE starting with a letter, e.g. EMPLOYEE_ID',
  '^sha256:[0-9a-f]{64}$': 'sha256: followed by 64 lowercase hex digits',
};

const compiledPatterns = new Map<string, RegExp>();

export function checkStructure(schema: TSchema, value: unknown, path: readonly PathSegment[], problems: ProblemList): void {
  walk(schema, value, path, problems);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

const WANT: Record<NonNullable<SchemaNode['type']>, string> = {
  object: 'a map',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

function walk(node: SchemaNode, value: unknown, path: readonly PathSegment[], problems: ProblemList): void {
  const type = node.type;
  if (type !== undefined && !hasType(value, type)) {
    problems.error(path, `must be ${WANT[type]}, got ${typeName(value)}${typeof value === 'object' ? '' : ` ${show(value)}`}`);
    return;
  }
  if (node.enum !== undefined && !node.enum.includes(value)) {
    const allowed = node.enum.map((v) => show(v)).join(', ');
    const hint = typeof value === 'string' ? didYouMean(closestMatches(value, node.enum.map(String), 1)) : '';
    problems.error(path, `${show(value)} is not one of ${allowed}${hint}`);
    return;
  }
  if (type === 'string') checkString(node, value as string, path, problems);
  else if (type === 'integer' || type === 'number') checkNumber(node, value as number, path, problems);
  else if (type === 'array') checkArray(node, value as unknown[], path, problems);
  else if (type === 'object') checkObject(node, value as Record<string, unknown>, path, problems);
}

function hasType(value: unknown, type: NonNullable<SchemaNode['type']>): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
  }
}

function checkString(node: SchemaNode, value: string, path: readonly PathSegment[], problems: ProblemList): void {
  if (node.minLength !== undefined && value.length < node.minLength) {
    problems.error(path, node.minLength === 1 ? 'must not be empty' : `must be at least ${node.minLength} characters`);
    return;
  }
  if (node.maxLength !== undefined && value.length > node.maxLength) {
    problems.error(path, `is ${value.length} characters long; the limit is ${node.maxLength}`);
    return;
  }
  if (node.pattern !== undefined) {
    let re = compiledPatterns.get(node.pattern);
    if (re === undefined) compiledPatterns.set(node.pattern, (re = new RegExp(node.pattern, 'u')));
    if (!re.test(value)) problems.error(path, `${show(value)} must be ${PATTERN_MEANING[node.pattern] ?? `like /${node.pattern}/`}`);
  }
}

function checkNumber(node: SchemaNode, value: number, path: readonly PathSegment[], problems: ProblemList): void {
  if (node.minimum !== undefined && value < node.minimum) problems.error(path, `${value} is below the minimum of ${node.minimum}`);
  if (node.maximum !== undefined && value > node.maximum) problems.error(path, `${value} is above the maximum of ${node.maximum}`);
}

function checkArray(node: SchemaNode, value: unknown[], path: readonly PathSegment[], problems: ProblemList): void {
  if (node.minItems !== undefined && value.length < node.minItems) {
    problems.error(path, node.minItems === 1 ? 'must list at least one entry' : `must list at least ${node.minItems} entries`);
  }
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    problems.error(path, `has ${value.length} entries; the limit is ${node.maxItems}`);
    return;
  }
  if (node.items !== undefined) value.forEach((item, i) => walk(node.items!, item, [...path, i], problems));
  checkListKeys(node, value, path, problems);
}

/** Kubernetes list semantics: `set` items and `map` keys must be unique. */
function checkListKeys(node: SchemaNode, value: unknown[], path: readonly PathSegment[], problems: ProblemList): void {
  const listType = node['x-kubernetes-list-type'];
  if (listType !== 'set' && listType !== 'map') return;
  const keyOf = (item: unknown): unknown =>
    listType === 'set' ? item : (item as Record<string, unknown> | null)?.[node['x-kubernetes-list-map-keys']?.[0] ?? ''];
  const seen = new Map<string, number>();
  value.forEach((item, i) => {
    const key = keyOf(item);
    if (key === undefined) return;
    const id = JSON.stringify(key);
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else {
      const field = listType === 'map' ? [...path, i, node['x-kubernetes-list-map-keys']![0]!] : [...path, i];
      problems.error(field, `duplicate ${show(key)} (already at index ${first})`);
    }
  });
}

function checkObject(node: SchemaNode, value: Record<string, unknown>, path: readonly PathSegment[], problems: ProblemList): void {
  const props = node.properties ?? {};
  for (const name of node.required ?? []) {
    if (value[name] === undefined || value[name] === null) problems.error([...path, name], 'is required');
  }
  for (const [key, child] of Object.entries(value)) {
    const prop = props[key];
    if (prop !== undefined) {
      if (child !== undefined && child !== null) walk(prop, child, [...path, key], problems);
    } else if (typeof node.additionalProperties === 'object') {
      walk(node.additionalProperties, child, [...path, key], problems);
    } else if (node.additionalProperties === false) {
      problems.error([...path, key], `unknown field${didYouMean(closestMatches(key, Object.keys(props), 1))}`, true);
    }
  }
}

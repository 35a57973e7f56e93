/**
 * Turns a request's flat wire parameters into the typed object an action declares, with the
 * cloud's codes for every mistake (MissingParameter, InvalidParameter, or the declared code).
 */
import { EcsError } from '../../domain/errors/index.js';
import type {
  ActionSpec,
  ListParam,
  ObjectListParam,
  ObjectParam,
  ParamSpec,
  ScalarParam,
} from './spec.js';

type Flat = Record<string, string>;

function invalid(spec: { invalidCode?: string }, name: string, reason: string): EcsError {
  return new EcsError(spec.invalidCode ?? 'InvalidParameter', { name, reason });
}

function missing(spec: { missingCode?: string }, name: string): EcsError {
  return new EcsError(spec.missingCode ?? 'MissingParameter', { name });
}

function decodeScalar(spec: ScalarParam, name: string, raw: string): string | number | boolean {
  switch (spec.type) {
    case 'boolean': {
      const v = raw.toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      throw invalid(spec, name, 'expected true or false');
    }
    case 'integer': {
      if (!/^-?\d{1,16}$/.test(raw.trim())) throw invalid(spec, name, 'expected an integer');
      const n = Number(raw.trim());
      if (spec.min !== undefined && n < spec.min)
        throw invalid(spec, name, `minimum is ${spec.min}`);
      if (spec.max !== undefined && n > spec.max)
        throw invalid(spec, name, `maximum is ${spec.max}`);
      return n;
    }
    case 'string':
      return checkString(spec, name, raw);
  }
}

// Declarations are data with a fixed set of patterns: compile each once, not per request.
const patterns = new Map<string, RegExp>();
function compiledPattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source, 'u')));
  return re;
}

function checkString(spec: Extract<ScalarParam, { type: 'string' }>, name: string, raw: string) {
  const length = [...raw].length;
  if (spec.minLength !== undefined && length < spec.minLength) {
    throw invalid(spec, name, `at least ${spec.minLength} characters`);
  }
  if (spec.maxLength !== undefined && length > spec.maxLength) {
    throw invalid(spec, name, `at most ${spec.maxLength} characters`);
  }
  if (spec.ascii && !/^[\x20-\x7e]*$/.test(raw)) throw invalid(spec, name, 'ASCII characters only');
  if (spec.pattern && !compiledPattern(spec.pattern).test(raw)) {
    throw invalid(spec, name, 'the value does not have the required form');
  }
  const lower = raw.toLowerCase();
  for (const prefix of spec.forbidPrefixes ?? []) {
    if (lower.startsWith(prefix.toLowerCase())) {
      throw invalid(spec, name, `must not start with "${prefix}"`);
    }
  }
  for (const part of spec.forbidSubstrings ?? []) {
    if (lower.includes(part.toLowerCase())) throw invalid(spec, name, `must not contain "${part}"`);
  }
  if (spec.enum) {
    const hit = spec.caseInsensitive
      ? spec.enum.find((e) => e.toLowerCase() === lower)
      : spec.enum.find((e) => e === raw);
    if (hit === undefined) throw invalid(spec, name, `one of ${spec.enum.join(', ')}`);
    return hit;
  }
  return raw;
}

/** Values of `prefix.N` keys (or `prefix.N.rest`), grouped by N in numeric order. */
function groupIndexed(flat: Flat, prefix: string): Map<number, Flat> {
  const groups = new Map<number, Flat>();
  const head = `${prefix}.`;

  for (const key of Object.keys(flat)) {
    if (!key.startsWith(head)) continue;
    const rest = key.slice(head.length);
    const dot = rest.indexOf('.');
    const indexText = dot < 0 ? rest : rest.slice(0, dot);
    if (!/^\d{1,4}$/.test(indexText)) continue;
    const index = Number(indexText);
    if (index < 1) continue;

    const group = groups.get(index) ?? {};
    group[dot < 0 ? '' : rest.slice(dot + 1)] = flat[key];
    groups.set(index, group);
  }
  if (groups.size < 2) return groups;
  return new Map([...groups.entries()].sort(([a], [b]) => a - b));
}

function limitEntries<T>(spec: ListParam | ObjectListParam, name: string, items: T[]): T[] {
  if (spec.max === undefined || items.length <= spec.max) return items;
  if (spec.overflow === 'ignore') return items.slice(0, spec.max);
  throw new EcsError(spec.tooManyCode ?? 'InvalidParameter', {
    name,
    reason: `at most ${spec.max} entries`,
  });
}

function decodeList(spec: ListParam, name: string, flat: Flat): unknown[] | undefined {
  const groups = groupIndexed(flat, name);
  const values: unknown[] = [];
  for (const [index, group] of groups) {
    const raw = group[''];
    if (raw === undefined) continue;
    if (raw === '' && !(spec.of.type === 'string' && spec.of.allowEmpty)) continue;
    values.push(decodeScalar(spec.of, `${name}.${index}`, raw));
  }
  return values.length ? limitEntries(spec, name, values) : undefined;
}

function decodeFields(
  fields: Record<string, ScalarParam | ListParam>,
  prefix: string,
  flat: Flat,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(fields)) {
    const value = decodeOne(spec, field, flat, `${prefix}.${field}`);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function decodeObjectList(spec: ObjectListParam, name: string, flat: Flat) {
  const items: Record<string, unknown>[] = [];
  for (const [index, group] of groupIndexed(flat, name)) {
    const item = decodeFields(spec.fields, `${name}.${index}`, group);
    if (Object.keys(item).length > 0) items.push(item);
  }
  return items.length ? limitEntries(spec, name, items) : undefined;
}

function decodeObject(spec: ObjectParam, name: string, flat: Flat) {
  const sub: Flat = {};
  for (const key of Object.keys(flat)) {
    if (key.startsWith(`${name}.`)) sub[key.slice(name.length + 1)] = flat[key];
  }
  const out = decodeFields(spec.fields, name, sub);
  return Object.keys(out).length ? out : undefined;
}

/**
 * Decodes one parameter from `flat`, whose keys are relative to the parameter's parent.
 * `label` is the full wire name used in error messages.
 */
function decodeOne(spec: ParamSpec, key: string, flat: Flat, label = key): unknown {
  let value: unknown;
  if (spec.type === 'list') value = decodeList(spec, key, flat);
  else if (spec.type === 'objectList') value = decodeObjectList(spec, key, flat);
  else if (spec.type === 'object') value = decodeObject(spec, key, flat);
  else {
    const raw = flat[key];
    const present =
      raw !== undefined && (raw !== '' || (spec.type === 'string' && spec.allowEmpty));
    value = present ? decodeScalar(spec, label, raw) : undefined;
    if (value === undefined && spec.default !== undefined && !spec.required) value = spec.default;
  }

  if (value === undefined && spec.required) throw missing(spec, label);
  if (value !== undefined && spec.unsupported) {
    throw new EcsError('InvalidParameter', {
      name: label,
      reason: 'ecsimg does not support this parameter yet',
    });
  }
  return value;
}

/**
 * @example
 *   decodeParams(DescribeImages, { RegionId: 'cn-hangzhou', 'Tag.1.Key': 'env' })
 *   // → { RegionId: 'cn-hangzhou', Tag: [{ Key: 'env' }], PageSize: 10, … }
 */
export function decodeParams(action: ActionSpec, flat: Flat): Record<string, unknown> {
  const out: Record<string, unknown> = {};

  if (action.regional) {
    const region = flat.RegionId;
    if (!region && !action.regionOptional)
      throw new EcsError('MissingParameter', { name: 'RegionId' });
    if (region) out.RegionId = region;
  }
  if (action.dryRun && flat.DryRun !== undefined && flat.DryRun !== '') {
    out.DryRun = decodeScalar({ type: 'boolean' }, 'DryRun', flat.DryRun);
  }

  for (const [name, spec] of Object.entries(action.params)) {
    const value = decodeOne(spec, name, flat);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

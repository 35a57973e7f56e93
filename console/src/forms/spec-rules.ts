/**
 * The API's parameter rules, applied in the browser before a form is sent.
 *
 * The declarations come from `GET /api/actions` (the same data the gateway decodes with), and the
 * checks here follow the gateway's decoder rule for rule, in the same order, so the console refuses
 * exactly what the API would refuse — and names the code the API would answer with.
 * test/console/spec-rules.test.ts holds the two side by side. Plain TypeScript: no DOM, no React.
 */
import type { ParamSpec, ScalarParam, StringParam } from '../../../src/api/actions/spec.js';

export type { ActionSpec, ParamSpec, ScalarParam } from '../../../src/api/actions/spec.js';

/** One rule in words: a key of the `rules.*` translations and its values. */
export interface RuleText {
  key: string;
  values?: Record<string, string | number>;
}

/** What is wrong with a value: the rule it breaks and the code the API would answer. */
export interface Violation extends RuleText {
  code: string;
}

function violation(spec: ScalarParam, rule: RuleText): Violation {
  return { ...rule, code: spec.invalidCode ?? 'InvalidParameter' };
}

/**
 * Checks one value as the gateway's decoder would; undefined when the API would accept it.
 * An empty value counts as absent, as on the wire (only `allowEmpty` strings keep it).
 */
export function checkScalar(spec: ScalarParam, raw: string): Violation | undefined {
  const present = raw !== '' || (spec.type === 'string' && spec.allowEmpty);
  if (!present) {
    return spec.required
      ? { key: 'required', code: spec.missingCode ?? 'MissingParameter' }
      : undefined;
  }

  const broken = checkPresent(spec, raw);
  if (broken) return broken;
  // Declared but not implemented: the gateway refuses any value rather than ignore it.
  return spec.unsupported ? { key: 'unsupported', code: 'InvalidParameter' } : undefined;
}

function checkPresent(spec: ScalarParam, raw: string): Violation | undefined {
  switch (spec.type) {
    case 'boolean':
      return /^(true|false)$/i.test(raw) ? undefined : violation(spec, { key: 'boolean' });
    case 'integer': {
      if (!/^-?\d{1,16}$/.test(raw.trim())) return violation(spec, { key: 'integer' });
      const n = Number(raw.trim());
      if (spec.min !== undefined && n < spec.min) {
        return violation(spec, { key: 'min', values: { min: spec.min } });
      }
      if (spec.max !== undefined && n > spec.max) {
        return violation(spec, { key: 'max', values: { max: spec.max } });
      }
      return undefined;
    }
    case 'string':
      return checkString(spec, raw);
  }
}

function checkString(spec: StringParam, raw: string): Violation | undefined {
  const length = [...raw].length;
  if (spec.minLength !== undefined && length < spec.minLength) {
    return violation(spec, { key: 'minLength', values: { min: spec.minLength } });
  }
  if (spec.maxLength !== undefined && length > spec.maxLength) {
    return violation(spec, { key: 'maxLength', values: { max: spec.maxLength } });
  }
  if (spec.ascii && !/^[\x20-\x7e]*$/.test(raw)) return violation(spec, { key: 'ascii' });
  if (spec.pattern && !new RegExp(spec.pattern, 'u').test(raw)) {
    return violation(spec, { key: 'pattern', values: { pattern: spec.pattern } });
  }
  const lower = raw.toLowerCase();
  for (const prefix of spec.forbidPrefixes ?? []) {
    if (lower.startsWith(prefix.toLowerCase())) {
      return violation(spec, { key: 'forbidPrefix', values: { value: prefix } });
    }
  }
  for (const part of spec.forbidSubstrings ?? []) {
    if (lower.includes(part.toLowerCase())) {
      return violation(spec, { key: 'forbidSubstring', values: { value: part } });
    }
  }
  if (spec.enum) {
    const hit = spec.caseInsensitive
      ? spec.enum.some((e) => e.toLowerCase() === lower)
      : spec.enum.includes(raw);
    if (!hit) return violation(spec, { key: 'enum', values: { values: spec.enum.join(', ') } });
  }
  return undefined;
}

/**
 * The rules of a parameter in words, shown next to the field before the user types.
 * Patterns of the usual `^[first][rest]{m,n}$` shape are put in words; others are shown as is.
 */
export function describeRules(spec: ParamSpec): RuleText[] {
  const rules: RuleText[] = [];
  if (spec.type === 'list' || spec.type === 'objectList') {
    if (spec.max !== undefined) rules.push({ key: 'maxEntries', values: { max: spec.max } });
    return rules;
  }
  if (spec.unsupported) return [{ key: 'unsupported' }];
  if (spec.type === 'object' || spec.type === 'boolean') return rules;

  if (spec.type === 'integer') {
    if (spec.min !== undefined && spec.max !== undefined) {
      rules.push({ key: 'range', values: { min: spec.min, max: spec.max } });
    } else if (spec.min !== undefined) rules.push({ key: 'atLeast', values: { min: spec.min } });
    else if (spec.max !== undefined) rules.push({ key: 'atMost', values: { max: spec.max } });
    return rules;
  }

  const { minLength: min, maxLength: max } = spec;
  if (min !== undefined && max !== undefined) {
    rules.push({ key: 'lengthRange', values: { min, max } });
  } else if (min !== undefined) rules.push({ key: 'lengthAtLeast', values: { min } });
  else if (max !== undefined) rules.push({ key: 'lengthAtMost', values: { max } });

  if (spec.pattern) rules.push(...describePattern(spec.pattern));
  if (spec.ascii) rules.push({ key: 'ascii' });
  if (spec.forbidPrefixes?.length) {
    rules.push({ key: 'noPrefixes', values: { values: spec.forbidPrefixes.join(', ') } });
  }
  if (spec.forbidSubstrings?.length) {
    rules.push({ key: 'noSubstrings', values: { values: spec.forbidSubstrings.join(', ') } });
  }
  if (spec.enum) rules.push({ key: 'oneOf', values: { values: spec.enum.join(', ') } });
  return rules;
}

const CLASS_WORDS: Array<[RegExp, string]> = [
  [/A-Za-z|a-zA-Z|\\p\{L\}/g, '{letters}'],
  [/a-z/g, '{lowercase}'],
  [/A-Z/g, '{uppercase}'],
  [/0-9|\\d/g, '{digits}'],
  [/\\u4e00-\\u9fa5|\\u4E00-\\u9FA5|\\p\{Script=Han\}|\\p\{sc=Han\}/g, '{chinese}'],
];

/** `[A-Za-z\u4e00-\u9fa5]` → ['{letters}', '{chinese}']; undefined when it is not that simple. */
function classWords(body: string): string[] | undefined {
  let rest = body;
  const words: string[] = [];
  for (const [re, word] of CLASS_WORDS) {
    const remaining = rest.replace(re, '');
    if (remaining !== rest) words.push(word);
    rest = remaining;
  }
  // What is left must be plain characters (possibly escaped): . : _ - and the like.
  const literal = rest.replace(/\\(.)/g, '$1');
  if (/[[\]\\^]/.test(literal)) return undefined;
  for (const ch of literal) words.push(ch === ' ' ? '{space}' : `"${ch}"`);
  return words;
}

export function describePattern(pattern: string): RuleText[] {
  const m = /^\^\[([^\]]+)\]\[([^\]]+)\](?:\*|\+|\{\d+,\d*\})\$$/.exec(pattern);
  const first = m && classWords(m[1]);
  const rest = m && classWords(m[2]);
  if (first && rest) {
    return [
      { key: 'startsWith', values: { chars: first.join(' ') } },
      { key: 'contains', values: { chars: rest.join(' ') } },
    ];
  }
  const whole = /^\^\[([^\]]+)\](?:\*|\+|\{\d+,\d*\})\$$/.exec(pattern);
  const chars = whole && classWords(whole[1]);
  if (chars) return [{ key: 'contains', values: { chars: chars.join(' ') } }];
  return [{ key: 'pattern', values: { pattern } }];
}

/**
 * Every violation a value of this parameter can produce, one per rule (each forbidden prefix is
 * its own). Forms attach one validator per entry so each can carry its own message and code.
 */
export function possibleViolations(spec: ScalarParam): Violation[] {
  const code = spec.invalidCode ?? 'InvalidParameter';
  const out: Violation[] = [];
  if (spec.required) out.push({ key: 'required', code: spec.missingCode ?? 'MissingParameter' });
  if (spec.type === 'boolean') out.push({ key: 'boolean', code });
  if (spec.type === 'integer') {
    out.push({ key: 'integer', code });
    if (spec.min !== undefined) out.push({ key: 'min', values: { min: spec.min }, code });
    if (spec.max !== undefined) out.push({ key: 'max', values: { max: spec.max }, code });
  }
  if (spec.type === 'string') {
    if (spec.minLength !== undefined) {
      out.push({ key: 'minLength', values: { min: spec.minLength }, code });
    }
    if (spec.maxLength !== undefined) {
      out.push({ key: 'maxLength', values: { max: spec.maxLength }, code });
    }
    if (spec.ascii) out.push({ key: 'ascii', code });
    if (spec.pattern) out.push({ key: 'pattern', values: { pattern: spec.pattern }, code });
    for (const value of spec.forbidPrefixes ?? []) {
      out.push({ key: 'forbidPrefix', values: { value }, code });
    }
    for (const value of spec.forbidSubstrings ?? []) {
      out.push({ key: 'forbidSubstring', values: { value }, code });
    }
    if (spec.enum) out.push({ key: 'enum', values: { values: spec.enum.join(', ') }, code });
  }
  if (spec.unsupported) out.push({ key: 'unsupported', code: 'InvalidParameter' });
  return out;
}

export function sameViolation(a: Violation | undefined, b: Violation): boolean {
  return (
    !!a && a.key === b.key && JSON.stringify(a.values ?? {}) === JSON.stringify(b.values ?? {})
  );
}

/** Finds a parameter by its path: `ImageName`, `DiskDeviceMapping.DiskImageSize`, `Tag.Key`. */
export function findParam(params: Record<string, ParamSpec>, path: string): ParamSpec | undefined {
  const [head, ...rest] = path.split('.');
  let spec: ParamSpec | undefined = params[head];
  for (const part of rest) {
    if (!spec) return undefined;
    if (spec.type === 'objectList' || spec.type === 'object') {
      spec = (spec.fields as Record<string, ParamSpec>)[part];
    } else return undefined;
  }
  if (spec?.type === 'list') return spec.of;
  return spec;
}

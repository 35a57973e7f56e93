/**
 * `ecsimg <Action> --help` and `ecsimg actions`, printed from the same declarations the gateway
 * validates with (src/api/actions), so the help cannot disagree with the server.
 */
import type { ActionSpec, ListParam, ParamSpec, ScalarParam } from '../../api/actions/spec.js';

type Lang = 'en' | 'zh';

/** Help lines stay within the width the rest of the CLI uses. */
const LINE_WIDTH = 100;

/** Breaks `text` at spaces into lines of at most `width` characters (longer words stay whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function scalarRules(spec: ScalarParam): string[] {
  const rules: string[] = [];
  if (spec.type === 'string') {
    if (spec.enum) {
      rules.push(`one of ${spec.enum.join(' | ')}${spec.caseInsensitive ? ' (any case)' : ''}`);
    }
    if (spec.minLength !== undefined && spec.maxLength !== undefined) {
      rules.push(`${spec.minLength}-${spec.maxLength} characters`);
    } else if (spec.maxLength !== undefined) {
      rules.push(`at most ${spec.maxLength} characters`);
    } else if (spec.minLength !== undefined) {
      rules.push(`at least ${spec.minLength} characters`);
    }
    if (spec.pattern) rules.push(`matches /${spec.pattern}/`);
    if (spec.ascii) rules.push('ASCII only');
    if (spec.forbidPrefixes?.length) {
      rules.push(`must not start with ${spec.forbidPrefixes.join(', ')}`);
    }
    if (spec.allowEmpty) rules.push('may be empty');
  }
  if (spec.type === 'integer') {
    if (spec.min !== undefined && spec.max !== undefined) rules.push(`${spec.min}..${spec.max}`);
    else if (spec.min !== undefined) rules.push(`>= ${spec.min}`);
    else if (spec.max !== undefined) rules.push(`<= ${spec.max}`);
  }
  if (spec.default !== undefined) rules.push(`default ${String(spec.default)}`);
  return rules;
}

function listRules(spec: ListParam | Extract<ParamSpec, { type: 'objectList' }>): string[] {
  if (spec.max === undefined) return [];
  return [
    `at most ${spec.max} entries${spec.overflow === 'ignore' ? ' (extra ones ignored)' : ''}`,
  ];
}

function commonRules(spec: { required?: boolean; unsupported?: boolean }): string[] {
  const rules: string[] = [];
  if (spec.required) rules.push('required');
  if (spec.unsupported) rules.push('not supported by ecsimg yet');
  return rules;
}

interface HelpRow {
  flag: string;
  rules: string[];
  description?: string;
}

function rowsFor(name: string, spec: ParamSpec): HelpRow[] {
  switch (spec.type) {
    case 'list':
      return [
        {
          flag: `--${name}.N <${spec.of.type}>`,
          rules: [...commonRules(spec), ...listRules(spec), ...scalarRules(spec.of)],
          description: spec.description ?? spec.of.description,
        },
      ];
    case 'objectList': {
      const head: HelpRow = {
        flag: `--${name}.N.<Field>`,
        rules: [...commonRules(spec), ...listRules(spec)],
        description: spec.description,
      };
      const fields = Object.entries(spec.fields).flatMap(([field, fieldSpec]) =>
        rowsFor(`${name}.N.${field}`, fieldSpec).map((r) => ({ ...r, flag: `  ${r.flag}` })),
      );
      return [head, ...fields];
    }
    case 'object': {
      const head: HelpRow = {
        flag: `--${name}.<Field>`,
        rules: commonRules(spec),
        description: spec.description,
      };
      const fields = Object.entries(spec.fields).flatMap(([field, fieldSpec]) =>
        rowsFor(`${name}.${field}`, fieldSpec).map((r) => ({ ...r, flag: `  ${r.flag}` })),
      );
      return [head, ...fields];
    }
    default:
      return [
        {
          flag: `--${name} <${spec.type}>`,
          rules: [...commonRules(spec), ...scalarRules(spec)],
          description: spec.description,
        },
      ];
  }
}

/**
 * @example
 *   actionHelp(DescribeRegionsSpec, 'en', 'cn-hangzhou')
 *   // "DescribeRegions: List the regions this server offers.\n…--AcceptLanguage <string> …"
 */
export function actionHelp(spec: ActionSpec, lang: Lang, defaultRegion: string): string {
  const traits = [`resource group: ${spec.resource}`];
  if (spec.adminOnly) traits.push('administrator only');
  if (spec.dryRun) traits.push('supports --DryRun true');

  const rows: HelpRow[] = [];
  if (spec.regional) {
    rows.push({
      flag: '--RegionId <string>',
      rules: [
        spec.regionOptional ? 'optional' : 'required',
        `default from --region: ${defaultRegion}`,
      ],
      description: 'A region this server offers (see DescribeRegions).',
    });
  }
  for (const [name, paramSpec] of Object.entries(spec.params))
    rows.push(...rowsFor(name, paramSpec));
  if (spec.dryRun) {
    rows.push({
      flag: '--DryRun <boolean>',
      rules: ['default false'],
      description:
        'Check the request without acting; success is answered as ' +
        `${spec.dryRunCode ?? 'DryRunOperation'}.`,
    });
  }

  const width = Math.min(40, Math.max(...rows.map((r) => r.flag.length), 10) + 2);
  const lines = [
    `${spec.name}: ${spec.summary[lang]}`,
    traits.join(' · '),
    '',
    `Usage: ecsimg ${spec.name} [--Param value …] [client options]`,
    '  lists: --Name.1 a --Name.2 b, or --Name a b; objects in lists: --Tag.1.Key k',
    '',
    rows.length ? 'Parameters:' : 'This action takes no parameters.',
  ];
  const indent = ' '.repeat(width + 2);
  for (const row of rows) {
    const texts = [row.rules.join('; '), row.description].filter((t): t is string => !!t);
    const body = texts.flatMap((t) => wrap(t, LINE_WIDTH - indent.length));
    const first = row.flag.length >= width ? undefined : body.shift();
    lines.push(`  ${row.flag.padEnd(width)}${first ?? ''}`.trimEnd());
    for (const line of body) lines.push(`${indent}${line}`);
  }
  lines.push(
    '',
    'Client options: --endpoint URL, --api-key KEY, --access-key-id ID --access-key-secret S,',
    '  --data-dir DIR, --profile NAME, --region ID, --lang en|zh (see `ecsimg configure --help`)',
  );
  return lines.join('\n') + '\n';
}

/** One line per action, grouped by resource group. */
export function actionsList(specs: readonly ActionSpec[], lang: Lang): string {
  const groups = new Map<string, ActionSpec[]>();
  for (const spec of specs) groups.set(spec.resource, [...(groups.get(spec.resource) ?? []), spec]);

  const width = Math.max(...specs.map((s) => s.name.length), 10) + 2;
  const lines: string[] = [];
  for (const [resource, members] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${resource}:`);
    for (const spec of [...members].sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`  ${spec.name.padEnd(width)}${spec.summary[lang]}`);
    }
  }
  lines.push('', '`ecsimg <Action> --help` shows the parameters of one action.');
  return lines.join('\n') + '\n';
}

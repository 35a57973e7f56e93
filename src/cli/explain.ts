/**
 * `ecsimg explain <Code>`: what an error code means, why it usually happens and what to do,
 * from the same catalogue the server answers with. `ecsimg actions`: every action it knows.
 */
import type { Command } from 'commander';
import { ACTIONS } from '../api/actions/index.js';
import { CATALOGUE, lookupError, type ErrorEntry } from '../domain/errors/index.js';
import { actionsList } from './client/action-help.js';
import { parseLang } from './client/connection.js';
import { CliError, EXIT, type CliIo } from './io.js';

const LABELS = {
  en: { status: 'HTTP status', message: 'message', cause: 'cause', fix: 'fix' },
  zh: { status: 'HTTP 状态码', message: '含义', cause: '原因', fix: '解决办法' },
};

/** The entry as printed; `{placeholders}` are left in the message (they depend on the call). */
export function formatExplanation(code: string, entry: ErrorEntry, lang: 'en' | 'zh'): string {
  const l = LABELS[lang];
  return (
    [
      code,
      `  ${l.status}: ${entry.status}`,
      `  ${l.message}: ${entry[lang]}`,
      `  ${l.cause}: ${entry.cause[lang]}`,
      `  ${l.fix}: ${entry.fix[lang]}`,
    ].join('\n') + '\n'
  );
}

/** Edit distance between two short strings (codes are at most a few dozen characters). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}

/** Codes that look like `input` (a typo away, or containing it), closest first. */
export function similarCodes(input: string, limit = 5): string[] {
  const needle = input.toLowerCase();
  return Object.keys(CATALOGUE)
    .map((code) => {
      const c = code.toLowerCase();
      const d = c.includes(needle) || needle.includes(c) ? 0 : distance(needle, c);
      return { code, d };
    })
    .filter(({ d }) => d <= Math.max(2, Math.floor(needle.length / 4)))
    .sort((x, y) => x.d - y.d || x.code.localeCompare(y.code))
    .slice(0, limit)
    .map(({ code }) => code);
}

export function registerExplainCommands(program: Command, io: CliIo): void {
  program
    .command('explain')
    .description('explain an error code: HTTP status, meaning, cause and fix')
    .argument('<code>', 'the error code, e.g. InvalidImageId.NotFound (any case)')
    .option('--lang <lang>', 'en or zh (default from LC_ALL / LANG)')
    .action((code: string, opts: { lang?: string }) => {
      const lang = parseLang(opts.lang, io.env);
      const hit = lookupError(code.trim());
      if (!hit) {
        const similar = similarCodes(code.trim());
        throw new CliError(
          `"${code}" is not an error code ecsimg knows` +
            (similar.length ? ` (similar: ${similar.join(', ')})` : ''),
          EXIT.failure,
          'codes are spelled as in the Code field of an error response, e.g. ' +
            'InvalidParameter; `ecsimg explain --help` shows the usage',
        );
      }
      io.stdout.write(formatExplanation(hit.code, hit.entry, lang));
    });

  program
    .command('actions')
    .description('list the API actions this ecsimg knows, with a summary each')
    .option('--lang <lang>', 'en or zh (default from LC_ALL / LANG)')
    .action((opts: { lang?: string }) => {
      io.stdout.write(
        actionsList(
          ACTIONS.map((a) => a.spec),
          parseLang(opts.lang, io.env),
        ),
      );
    });
}

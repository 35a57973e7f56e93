/**
 * `ecsimg configure`: writes a connection profile to ~/.ecsimg/config.json (mode 0600), either
 * from flags (scripts) or by asking (people). Later client commands read it when neither flags
 * nor environment variables say where the server is and who is calling.
 *
 *   ecsimg configure --endpoint http://10.0.0.5:8080 --api-key KEY       (non-interactive)
 *   ecsimg configure --profile lab                                       (asks each question)
 *   ecsimg configure --data-dir ./data        (the administrator, on the server's machine)
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { DEFAULT_ENDPOINT, DEFAULT_REGION, parseLang } from './client/connection.js';
import { parseEndpoint } from './client/http-client.js';
import {
  DEFAULT_PROFILE,
  readProfileFile,
  writeProfileFile,
  type Profile,
} from './client/profiles.js';
import { CliError, EXIT, type CliIo } from './io.js';

interface ConfigureFlags {
  profile?: string;
  endpoint?: string;
  region?: string;
  apiKey?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  dataDir?: string;
  lang?: string;
  nonInteractive?: boolean;
  list?: boolean;
}

/** `abcd…wxyz`: enough to recognise a key, not enough to use it. */
export function mask(secret: string | undefined): string {
  if (!secret) return '';
  return secret.length <= 8 ? '****' : `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}

function checkEndpoint(value: string): string {
  try {
    return parseEndpoint(value).origin;
  } catch {
    throw new CliError(
      `"${value}" is not an http(s) URL`,
      EXIT.usage,
      'e.g. http://127.0.0.1:8080',
    );
  }
}

function adminCredentials(dataDir: string): Profile {
  const file = path.join(dataDir, 'credentials.json');
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    return { accessKeyId: json.accessKeyId, accessKeySecret: json.accessKeySecret };
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.io);
  }
}

/** Applies flags over the stored profile; a new credential replaces the other kind. */
export function mergeFlags(current: Profile, flags: ConfigureFlags): Profile {
  const next: Profile = { ...current };
  if (flags.endpoint !== undefined) next.endpoint = checkEndpoint(flags.endpoint);
  if (flags.region !== undefined) next.region = flags.region;
  if (flags.lang !== undefined) next.lang = parseLang(flags.lang, {});

  const ak = flags.dataDir
    ? adminCredentials(flags.dataDir)
    : { accessKeyId: flags.accessKeyId, accessKeySecret: flags.accessKeySecret };
  if (ak.accessKeyId !== undefined || ak.accessKeySecret !== undefined) {
    if (!ak.accessKeyId || !ak.accessKeySecret) {
      throw new CliError(
        'an AccessKey needs both --access-key-id and --access-key-secret',
        EXIT.usage,
      );
    }
    next.accessKeyId = ak.accessKeyId;
    next.accessKeySecret = ak.accessKeySecret;
    delete next.apiKey;
  } else if (flags.apiKey !== undefined) {
    next.apiKey = flags.apiKey;
    delete next.accessKeyId;
    delete next.accessKeySecret;
  }
  return next;
}

/** A prompt over any readable stream: lines are queued, so piped answers are never lost. */
class Prompter {
  private readonly rl: readline.Interface;
  private readonly lines: AsyncIterator<string>;
  private muted = false;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly out: NodeJS.WritableStream,
  ) {
    // Typed characters are echoed through this stream; muting it hides secrets on a terminal.
    const echo = new Writable({
      write: (chunk, _enc, done) => {
        if (!this.muted) out.write(chunk);
        done();
      },
    });
    const terminal = (input as { isTTY?: boolean }).isTTY === true;
    this.rl = readline.createInterface({ input, output: echo, terminal });
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  async ask(question: string, fallback = '', options: { secret?: boolean } = {}) {
    const shown = options.secret ? mask(fallback) : fallback;
    this.out.write(`${question}${shown ? ` [${shown}]` : ''}: `);
    this.muted = !!options.secret;
    const next = await this.lines.next();
    this.muted = false;
    if (options.secret) this.out.write('\n');
    if (next.done) throw new CliError('input ended before every question was answered', EXIT.usage);
    return next.value.trim() || fallback;
  }

  close() {
    this.rl.close();
  }
}

async function askProfile(io: CliIo, current: Profile): Promise<Profile> {
  const prompt = new Prompter(io.stdin ?? process.stdin, io.stdout);
  try {
    const endpoint = checkEndpoint(
      await prompt.ask('Server URL', current.endpoint ?? DEFAULT_ENDPOINT),
    );
    const region = await prompt.ask('Default region', current.region ?? DEFAULT_REGION);
    const kind = (
      await prompt.ask(
        'Sign in with an AccessKey or an API key (ak/apikey)',
        current.apiKey ? 'apikey' : 'ak',
      )
    ).toLowerCase();

    const next: Profile = { endpoint, region, lang: current.lang };
    if (kind === 'apikey' || kind === 'api') {
      next.apiKey = await prompt.ask('API key', current.apiKey, { secret: true });
      if (!next.apiKey) throw new CliError('an API key is needed', EXIT.usage);
    } else if (kind === 'ak' || kind === 'accesskey') {
      next.accessKeyId = await prompt.ask('AccessKey ID', current.accessKeyId);
      next.accessKeySecret = await prompt.ask('AccessKey secret', current.accessKeySecret, {
        secret: true,
      });
      if (!next.accessKeyId || !next.accessKeySecret) {
        throw new CliError('an AccessKey needs both its ID and its secret', EXIT.usage);
      }
    } else {
      throw new CliError(`answer ak or apikey, not "${kind}"`, EXIT.usage);
    }
    const lang = await prompt.ask('Language of messages (en/zh)', current.lang ?? 'en');
    next.lang = parseLang(lang, {});
    return next;
  } finally {
    prompt.close();
  }
}

function listProfiles(io: CliIo): void {
  const content = readProfileFile(io.env);
  const names = Object.keys(content.profiles);
  if (names.length === 0) {
    io.stdout.write('No profiles yet: `ecsimg configure` creates one.\n');
    return;
  }
  for (const name of names) {
    const p = content.profiles[name];
    const who = p.accessKeyId ? `AccessKey ${p.accessKeyId}` : `API key ${mask(p.apiKey)}`;
    const mark = name === (content.current ?? DEFAULT_PROFILE) ? '*' : ' ';
    io.stdout.write(
      `${mark} ${name}: ${p.endpoint ?? DEFAULT_ENDPOINT} ${p.region ?? DEFAULT_REGION} ${who}\n`,
    );
  }
}

export function registerConfigureCommand(program: Command, io: CliIo): void {
  program
    .command('configure')
    .description('save the server URL and credentials in a profile (~/.ecsimg/config.json)')
    .option('--profile <name>', `profile to write (default: ${DEFAULT_PROFILE})`)
    .option('--endpoint <url>', 'server URL, e.g. http://127.0.0.1:8080')
    .option('--region <id>', 'default region for regional actions')
    .option('--api-key <key>', 'API key')
    .option('--access-key-id <id>', 'AccessKey ID')
    .option('--access-key-secret <secret>', 'AccessKey secret')
    .option('--data-dir <dir>', "take the administrator's AccessKey from DIR/credentials.json")
    .option('--lang <lang>', 'language of messages: en or zh')
    .option('--non-interactive', 'never ask; write what the flags say')
    .option('--list', 'list the stored profiles (secrets masked)')
    .action(async (flags: ConfigureFlags) => {
      if (flags.list) {
        listProfiles(io);
        return;
      }

      const content = readProfileFile(io.env);
      const name = flags.profile ?? content.current ?? DEFAULT_PROFILE;
      const current = content.profiles[name] ?? {};
      const valueFlags = [
        flags.endpoint,
        flags.region,
        flags.apiKey,
        flags.accessKeyId,
        flags.accessKeySecret,
        flags.dataDir,
        flags.lang,
      ];
      const interactive = !flags.nonInteractive && valueFlags.every((v) => v === undefined);

      const next = interactive ? await askProfile(io, current) : mergeFlags(current, flags);
      const file = writeProfileFile(io.env, {
        current: name,
        profiles: { ...content.profiles, [name]: next },
      });
      io.stdout.write(`Profile "${name}" saved in ${file} (now the current profile).\n`);
    });
}

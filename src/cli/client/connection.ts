/**
 * Where a client command finds the server and its credentials. Each setting is taken from, in
 * order: the command's flag, the environment, then the profile written by `ecsimg configure`.
 *
 *   endpoint     --endpoint          ECSIMG_ENDPOINT       profile.endpoint   http://127.0.0.1:8080
 *   API key      --api-key           ECSIMG_API_KEY        profile.apiKey
 *   AccessKey    --access-key-id/-secret  ECSIMG_ACCESS_KEY_ID/_SECRET  profile.accessKey…
 *   admin        --data-dir DIR      (reads DIR/credentials.json on the server's machine)
 *   region       --region            ECSIMG_REGION         profile.region     cn-hangzhou
 *
 * Credentials given as flags beat any from the environment, which beat the profile's; within one
 * source an AccessKey pair (signed requests) is preferred to an API key.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, type CliIo } from '../io.js';
import { ApiClient, type Credentials } from './http-client.js';
import { findProfile, type Profile } from './profiles.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';
export const DEFAULT_REGION = 'cn-hangzhou';

export interface ClientFlags {
  endpoint?: string;
  apiKey?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  dataDir?: string;
  profile?: string;
  region?: string;
  lang?: string;
}

export interface Connection {
  client: ApiClient;
  region: string;
  lang: 'en' | 'zh';
}

/** The flags every client command accepts (commander). */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .option('--endpoint <url>', `server URL (ECSIMG_ENDPOINT, default ${DEFAULT_ENDPOINT})`)
    .option('--api-key <key>', 'API key (ECSIMG_API_KEY)')
    .option('--access-key-id <id>', 'AccessKey ID (ECSIMG_ACCESS_KEY_ID)')
    .option('--access-key-secret <secret>', 'AccessKey secret (ECSIMG_ACCESS_KEY_SECRET)')
    .option('--data-dir <dir>', "administrator: read the server's DIR/credentials.json")
    .option('--profile <name>', 'profile written by `ecsimg configure` (ECSIMG_PROFILE)')
    .option('--region <id>', `region (ECSIMG_REGION, default ${DEFAULT_REGION})`)
    .option('--lang <lang>', 'language of messages: en or zh (default from LANG)');
}

/** zh when the locale (LC_ALL, LC_MESSAGES, LANG — POSIX order) is Chinese, else en. */
export function localeLang(env: NodeJS.ProcessEnv): 'en' | 'zh' {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return locale.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function parseLang(value: string | undefined, env: NodeJS.ProcessEnv): 'en' | 'zh' {
  if (value === undefined) return localeLang(env);
  const v = value.toLowerCase();
  if (v === 'en' || v.startsWith('en-')) return 'en';
  if (v === 'zh' || v.startsWith('zh-')) return 'zh';
  throw new CliError(`--lang must be en or zh, not "${value}"`, EXIT.usage);
}

function fromDataDir(dir: string): Credentials {
  const file = path.join(dir, 'credentials.json');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(
      `cannot read the administrator's credentials at ${file}: ${(err as Error).message}`,
      EXIT.io,
      'pass the data directory the server runs with (`ecsimg serve --data-dir DIR`); ' +
        'the server writes credentials.json there on first start',
    );
  }
  if (typeof json.accessKeyId === 'string' && typeof json.accessKeySecret === 'string') {
    return {
      kind: 'accessKey',
      accessKeyId: json.accessKeyId,
      accessKeySecret: json.accessKeySecret,
    };
  }
  if (typeof json.apiKey === 'string') return { kind: 'apiKey', apiKey: json.apiKey };
  throw new CliError(`${file} holds no credentials`, EXIT.io);
}

interface CredentialSource {
  apiKey?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
}

function fromSource(source: CredentialSource, where: string): Credentials | undefined {
  if (source.accessKeyId || source.accessKeySecret) {
    if (!source.accessKeyId || !source.accessKeySecret) {
      throw new CliError(
        `${where}: an AccessKey needs both its ID and its secret`,
        EXIT.usage,
        'give --access-key-id and --access-key-secret together (or use --api-key)',
      );
    }
    return {
      kind: 'accessKey',
      accessKeyId: source.accessKeyId,
      accessKeySecret: source.accessKeySecret,
    };
  }
  return source.apiKey ? { kind: 'apiKey', apiKey: source.apiKey } : undefined;
}

function pickCredentials(flags: ClientFlags, env: NodeJS.ProcessEnv, profile?: Profile) {
  const fromFlags = fromSource(flags, 'command-line flags');
  if (fromFlags) return fromFlags;
  if (flags.dataDir) return fromDataDir(flags.dataDir);

  const fromEnv = fromSource(
    {
      apiKey: env.ECSIMG_API_KEY,
      accessKeyId: env.ECSIMG_ACCESS_KEY_ID,
      accessKeySecret: env.ECSIMG_ACCESS_KEY_SECRET,
    },
    'environment',
  );
  return fromEnv ?? (profile && fromSource(profile, 'profile'));
}

/**
 * Builds the API client for a command from its flags, the environment and the profile.
 *
 * @example
 *   const { client, region } = connect(io, { dataDir: './data' });
 *   await client.callAction('DescribeRegions');
 */
export function connect(io: CliIo, flags: ClientFlags): Connection {
  const explicitProfile = flags.profile ?? io.env.ECSIMG_PROFILE;
  const { name, profile } = findProfile(io.env, explicitProfile);
  if (explicitProfile && !profile) {
    throw new CliError(
      `there is no profile named "${name}"`,
      EXIT.usage,
      `create it with \`ecsimg configure --profile ${name}\``,
    );
  }

  const credentials = pickCredentials(flags, io.env, profile);
  if (!credentials) {
    throw new CliError(
      'no credentials: the command does not know who you are',
      EXIT.usage,
      'pass --api-key KEY (or --access-key-id and --access-key-secret), set ECSIMG_API_KEY, ' +
        "run `ecsimg configure`, or — on the server's machine — pass --data-dir DIR",
    );
  }

  const lang = parseLang(flags.lang ?? profile?.lang, io.env);
  const endpoint =
    flags.endpoint ?? io.env.ECSIMG_ENDPOINT ?? profile?.endpoint ?? DEFAULT_ENDPOINT;
  const region = flags.region ?? io.env.ECSIMG_REGION ?? profile?.region ?? DEFAULT_REGION;

  let client: ApiClient;
  try {
    client = new ApiClient({ endpoint, credentials, lang });
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage, 'use a URL such as http://host:8080');
  }
  return { client, region, lang };
}

/**
 * Named connection profiles written by `ecsimg configure`, kept in `~/.ecsimg/config.json`
 * (mode 0600: it holds secrets). The file looks like
 *
 *   { "current": "default",
 *     "profiles": { "default": { "endpoint": "http://127.0.0.1:8080", "region": "cn-hangzhou",
 *                                "accessKeyId": "LTAI…", "accessKeySecret": "…" } } }
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from '../io.js';

export const profileSchema = z.object({
  endpoint: z.string().optional(),
  region: z.string().optional(),
  apiKey: z.string().optional(),
  accessKeyId: z.string().optional(),
  accessKeySecret: z.string().optional(),
  lang: z.enum(['en', 'zh']).optional(),
});

export type Profile = z.infer<typeof profileSchema>;

const fileSchema = z.object({
  current: z.string().optional(),
  profiles: z.record(z.string(), profileSchema).default({}),
});

export type ProfileFile = z.infer<typeof fileSchema>;

export const DEFAULT_PROFILE = 'default';

/** `$HOME/.ecsimg/config.json`, HOME taken from the CLI's environment so tests can move it. */
export function profileFilePath(env: NodeJS.ProcessEnv): string {
  return path.join(env.HOME || os.homedir(), '.ecsimg', 'config.json');
}

export function readProfileFile(env: NodeJS.ProcessEnv): ProfileFile {
  const file = profileFilePath(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.io);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CliError(
      `${file} is not a valid ecsimg profile file`,
      EXIT.usage,
      'run `ecsimg configure` again, or delete the file',
    );
  }
  return parsed.data;
}

/** Writes the file atomically with mode 0600 (and its folder 0700). */
export function writeProfileFile(env: NodeJS.ProcessEnv, content: ProfileFile): string {
  const file = profileFilePath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });

  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
  return file;
}

/** The named profile (or the current one, or `default`); undefined when none is stored. */
export function findProfile(
  env: NodeJS.ProcessEnv,
  name?: string,
): { name: string; profile?: Profile } {
  const content = readProfileFile(env);
  const chosen = name ?? env.ECSIMG_PROFILE ?? content.current ?? DEFAULT_PROFILE;
  return { name: chosen, profile: content.profiles[chosen] };
}

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** ECSIMG_* names appearing in the files under `dir` (tests excluded). */
function variablesUsedIn(dir: string): Set<string> {
  const names = new Set<string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    const text = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    for (const m of text.matchAll(/\bECSIMG_[A-Z0-9_]+\b/g)) names.add(m[0]);
  }
  return names;
}

describe('.env.example', () => {
  const documented = new Set(
    [
      ...fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8').matchAll(/^# (ECSIMG_\w+)=/gm),
    ].map((m) => m[1]),
  );

  it('lists every variable the server configuration reads', () => {
    const missing = [...variablesUsedIn(path.join(ROOT, 'src/config'))].filter(
      (name) => !documented.has(name),
    );
    expect(missing).toEqual([]);
  });

  it('lists every variable the CLI client reads', () => {
    const missing = [...variablesUsedIn(path.join(ROOT, 'src/cli/client'))].filter(
      (name) => !documented.has(name),
    );
    expect(missing).toEqual([]);
  });

  it('lists nothing that no code reads', () => {
    const used = variablesUsedIn(path.join(ROOT, 'src'));
    expect([...documented].filter((name) => !used.has(name))).toEqual([]);
  });
});

/** The console's two languages have the same strings: no key falls back to English in Chinese. */
import { describe, expect, it } from 'vitest';
import { en } from '../../console/src/i18n/en.js';
import { zh } from '../../console/src/i18n/zh.js';

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
}

describe('console translations', () => {
  it('has every English key in Chinese and no other', () => {
    expect(keys(zh).sort()).toEqual(keys(en).sort());
  });

  it('uses the same placeholders in both languages', () => {
    const get = (obj: unknown, path: string) =>
      path.split('.').reduce<any>((o, k) => (o as Record<string, unknown>)[k], obj) as string;
    for (const key of keys(en)) {
      expect(placeholders(get(zh, key)), key).toEqual(placeholders(get(en, key)));
    }
  });

  it('leaves no Chinese string untranslated', () => {
    const get = (obj: unknown, path: string) =>
      path.split('.').reduce<any>((o, k) => (o as Record<string, unknown>)[k], obj) as string;
    // Product names, codes and symbols are the same in both; sentences must differ.
    const same = keys(en).filter(
      (k) => get(en, k) === get(zh, k) && /[a-z]{3,} [a-z]{3,}/.test(get(en, k)),
    );
    expect(same).toEqual([]);
  });
});

/**
 * The error catalogue, read once from `GET /api/errors`: code → status, en/zh message, cause, fix.
 * The troubleshooting page and every error notice take their texts from here.
 */
import { useEffect, useState } from 'react';

export interface LocalizedText {
  en: string;
  zh: string;
}

export interface CatalogueEntry {
  code: string;
  status: number;
  message: LocalizedText;
  cause: LocalizedText;
  fix: LocalizedText;
}

export type Catalogue = Map<string, CatalogueEntry>;

let pending: Promise<Catalogue> | undefined;

function text(value: unknown): LocalizedText {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    return { en: String(v.en ?? ''), zh: String(v.zh ?? v.en ?? '') };
  }
  return { en: String(value ?? ''), zh: String(value ?? '') };
}

/** Accepts `{errors: [...]}`, `{errors: {Code: …}}`, a bare array or a bare record. */
export function parseCatalogue(body: unknown): Catalogue {
  const root = (body as { errors?: unknown })?.errors ?? body;
  const rows: Array<[string, Record<string, unknown>]> = Array.isArray(root)
    ? root.map((e) => [String(e.code ?? e.Code), e])
    : Object.entries((root ?? {}) as Record<string, Record<string, unknown>>);

  const catalogue: Catalogue = new Map();
  for (const [code, e] of rows) {
    if (!code || !e || typeof e !== 'object') continue;
    const message =
      e.message !== undefined
        ? text(e.message)
        : { en: String(e.en ?? ''), zh: String(e.zh ?? e.en ?? '') };
    catalogue.set(code, {
      code,
      status: Number(e.status ?? 0),
      message,
      cause: text(e.cause),
      fix: text(e.fix),
    });
  }
  return catalogue;
}

export function loadCatalogue(): Promise<Catalogue> {
  pending ??= fetch('/api/errors')
    .then((res) => (res.ok ? res.json() : {}))
    .then(parseCatalogue)
    .catch(() => {
      pending = undefined;
      return new Map();
    });
  return pending;
}

export function useCatalogue(): Catalogue | undefined {
  const [catalogue, setCatalogue] = useState<Catalogue>();
  useEffect(() => {
    let live = true;
    void loadCatalogue().then((c) => live && setCatalogue(c));
    return () => {
      live = false;
    };
  }, []);
  return catalogue;
}

/** Exact code first, then ignoring case (people type `invalidimagename.malformed`). */
export function findEntry(catalogue: Catalogue, code: string): CatalogueEntry | undefined {
  const exact = catalogue.get(code);
  if (exact) return exact;
  const lower = code.toLowerCase();
  for (const entry of catalogue.values()) if (entry.code.toLowerCase() === lower) return entry;
  return undefined;
}

/**
 * The server renders messages in English with the error's parameters filled in. To show the same
 * message in Chinese we match the English template against it, recover the parameters, and fill
 * the Chinese template. When the message does not fit the template, it is shown as it came.
 */
export function localizeMessage(
  entry: CatalogueEntry,
  serverMessage: string,
  lang: 'en' | 'zh',
): string {
  if (lang === 'en' || !entry.message.zh) return serverMessage;
  const names: string[] = [];
  const source = entry.message.en
    .split(/(\{\w+\})/)
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '([\\s\\S]*?)';
    })
    .join('');
  const match = new RegExp(`^${source}$`).exec(serverMessage);
  if (!match) return names.length === 0 ? entry.message.zh : serverMessage;
  const values = Object.fromEntries(names.map((n, i) => [n, match[i + 1]]));
  return entry.message.zh.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** Pulls error codes out of pasted text: JSON bodies, SDK exception text, or a bare code. */
export function extractCodes(
  input: string,
  catalogue: Catalogue,
): { codes: string[]; requestId?: string } {
  const trimmed = input.trim();
  const codes: string[] = [];
  let requestId: string | undefined;

  try {
    const json = JSON.parse(trimmed) as Record<string, unknown>;
    const data = (json.data ?? json) as Record<string, unknown>;
    for (const key of ['Code', 'code'])
      if (typeof data[key] === 'string') codes.push(data[key] as string);
    for (const key of ['RequestId', 'requestId']) {
      if (typeof data[key] === 'string') requestId = data[key] as string;
    }
  } catch {
    // Not JSON: look for known codes and a RequestId in free text below.
  }

  const tokens = trimmed.match(/[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*/g) ?? [];
  for (const token of tokens) {
    const entry = findEntry(catalogue, token);
    if (entry && !codes.includes(entry.code)) codes.push(entry.code);
  }
  requestId ??= /[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/i.exec(trimmed)?.[0];
  return { codes: [...new Set(codes)], requestId };
}

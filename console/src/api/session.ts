/**
 * Who the console signs in as, and where it keeps that.
 *
 * Credentials live in sessionStorage (gone when the tab closes) unless the user ticks "remember on
 * this browser", which puts them in localStorage. The language and the last region are not secret
 * and always live in localStorage, per browser.
 */
import { useSyncExternalStore } from 'react';

export type Credentials =
  | { kind: 'apiKey'; apiKey: string }
  | { kind: 'accessKey'; accessKeyId: string; accessKeySecret: string };

export interface Session {
  credentials: Credentials;
  /** Shown in the header: account or key id, never a secret. */
  label: string;
  remember: boolean;
}

const SESSION_KEY = 'ecsimg.session';
const REGION_KEY = 'ecsimg.region';
export const DEFAULT_REGION = 'cn-hangzhou';

const listeners = new Set<() => void>();
let current: Session | null | undefined;

function load(): Session | null {
  for (const store of [window.sessionStorage, window.localStorage]) {
    const text = store.getItem(SESSION_KEY);
    if (!text) continue;
    try {
      return JSON.parse(text) as Session;
    } catch {
      store.removeItem(SESSION_KEY);
    }
  }
  return null;
}

export function getSession(): Session | null {
  if (current === undefined) current = load();
  return current;
}

export function signIn(session: Session): void {
  window.sessionStorage.removeItem(SESSION_KEY);
  window.localStorage.removeItem(SESSION_KEY);
  const store = session.remember ? window.localStorage : window.sessionStorage;
  store.setItem(SESSION_KEY, JSON.stringify(session));
  current = session;
  listeners.forEach((l) => l());
}

export function signOut(): void {
  window.sessionStorage.removeItem(SESSION_KEY);
  window.localStorage.removeItem(SESSION_KEY);
  current = null;
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession);
}

// The region: one value per browser, shared by every page.
const regionListeners = new Set<() => void>();

export function getRegion(): string {
  return window.localStorage.getItem(REGION_KEY) ?? DEFAULT_REGION;
}

export function setRegion(regionId: string): void {
  window.localStorage.setItem(REGION_KEY, regionId);
  regionListeners.forEach((l) => l());
}

export function useRegion(): string {
  return useSyncExternalStore((l) => {
    regionListeners.add(l);
    return () => regionListeners.delete(l);
  }, getRegion);
}

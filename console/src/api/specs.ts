/**
 * The action declarations served at `GET /api/actions`: what the server offers and each
 * parameter's rules. Forms take their validation from here, so they check what the API checks.
 */
import { useEffect, useState } from 'react';
import type { ActionSpec } from '../forms/spec-rules.js';

export type SpecIndex = Map<string, ActionSpec>;

let pending: Promise<SpecIndex> | undefined;

export function loadSpecs(): Promise<SpecIndex> {
  pending ??= fetch('/api/actions')
    .then((res) => (res.ok ? res.json() : { actions: [] }))
    .then(
      (body: { actions?: ActionSpec[] }) => new Map((body.actions ?? []).map((a) => [a.name, a])),
    )
    .catch(() => {
      pending = undefined;
      return new Map();
    });
  return pending;
}

/** undefined while loading; then the index (empty when the server could not be reached). */
export function useSpecs(): SpecIndex | undefined {
  const [specs, setSpecs] = useState<SpecIndex>();
  useEffect(() => {
    let live = true;
    void loadSpecs().then((s) => live && setSpecs(s));
    return () => {
      live = false;
    };
  }, []);
  return specs;
}

/** Whether this server offers an action (pages show "not available yet" instead of failing). */
export function useHasAction(name: string): boolean | undefined {
  const specs = useSpecs();
  return specs ? specs.has(name) : undefined;
}

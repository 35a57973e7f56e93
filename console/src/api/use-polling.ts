import { useEffect, useRef } from 'react';

/** Calls `tick` every `intervalMs` while `active`, and not while the tab is hidden. */
export function usePolling(active: boolean, intervalMs: number, tick: () => void): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, intervalMs);
    return () => window.clearInterval(timer);
  }, [active, intervalMs]);
}

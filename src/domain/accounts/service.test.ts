import { describe, expect, it } from 'vitest';
import { newAccountId } from './service.js';

describe('newAccountId', () => {
  it('makes sixteen-digit ids that survive the trip through a JSON number', () => {
    const ids = Array.from({ length: 5000 }, newAccountId);
    for (const id of ids) {
      expect(id).toMatch(/^[1-8]\d{15}$/);
      expect(String(JSON.parse(JSON.stringify(Number(id))))).toBe(id);
    }
    // the leading digit is drawn from all of 1–8, not pinned to one value
    expect(new Set(ids.map((id) => id[0])).size).toBe(8);
  });
});

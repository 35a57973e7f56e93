import { describe, expect, it } from 'vitest';
import { isoSeconds } from './time.js';

describe('isoSeconds', () => {
  it('drops the milliseconds of a UTC time', () => {
    expect(isoSeconds(Date.UTC(2019, 10, 15, 6, 7, 5, 987))).toBe('2019-11-15T06:07:05Z');
    expect(isoSeconds(0)).toBe('1970-01-01T00:00:00Z');
  });

  it('keeps the extended-year form beyond 9999', () => {
    expect(isoSeconds(Date.UTC(10000, 0, 1, 0, 0, 0, 1))).toBe('+010000-01-01T00:00:00Z');
  });
});

import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';

describe('crc32c', () => {
  it('matches the RFC 3720 check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
  it('matches the RFC 3720 vector of 32 zero bytes', () => {
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });
});

import { describe, expect, it } from 'vitest';
import { canTransition, checkDescription, checkImageFamily, checkImageName } from './rules.js';

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('image name rule', () => {
  it.each([
    ['ab', undefined],
    ['a', 'InvalidImageName.Malformed'],
    ['a'.repeat(128), undefined],
    ['a'.repeat(129), 'InvalidImageName.Malformed'],
    ['中文镜像', undefined],
    ['镜', 'InvalidImageName.Malformed'],
    ['web-1.2:prod_x', undefined],
    ['1abc', 'InvalidImageName.Malformed'],
    ['_abc', 'InvalidImageName.Malformed'],
    ['aliyun-x', 'InvalidImageName.Malformed'],
    ['Aliyunx', 'InvalidImageName.Malformed'],
    ['acs:x', 'InvalidImageName.Malformed'],
    ['acsx', undefined],
    ['ahttp://x', 'InvalidImageName.Malformed'],
    ['with space', 'InvalidImageName.Malformed'],
  ])('%s → %s', (name, code) => {
    expect(codeOf(() => checkImageName(name))).toBe(code);
  });

  it('applies the same rule to families with their own code', () => {
    expect(codeOf(() => checkImageFamily('acs:ubuntu'))).toBe('InvalidImageFamily.Malformed');
    expect(codeOf(() => checkImageFamily('my-family'))).toBeUndefined();
  });
});

describe('description rule', () => {
  it('accepts 2 and 256 characters and refuses 1, 257 and a leading URL', () => {
    expect(codeOf(() => checkDescription('ab'))).toBeUndefined();
    expect(codeOf(() => checkDescription('d'.repeat(256)))).toBeUndefined();
    expect(codeOf(() => checkDescription('d'))).toBe('InvalidDescription.Malformed');
    expect(codeOf(() => checkDescription('d'.repeat(257)))).toBe('InvalidDescription.Malformed');
    expect(codeOf(() => checkDescription('https://x'))).toBe('InvalidDescription.Malformed');
    expect(codeOf(() => checkDescription('see https://x'))).toBeUndefined();
  });
});

describe('status transitions', () => {
  it('allows creation outcomes and the Available ⇄ Deprecated toggle only', () => {
    expect(canTransition('Creating', 'Available')).toBe(true);
    expect(canTransition('Creating', 'CreateFailed')).toBe(true);
    expect(canTransition('Available', 'Deprecated')).toBe(true);
    expect(canTransition('Deprecated', 'Available')).toBe(true);
    expect(canTransition('CreateFailed', 'Available')).toBe(false);
    expect(canTransition('Available', 'Creating')).toBe(false);
  });
});

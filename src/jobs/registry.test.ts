import { describe, expect, it } from 'vitest';
import { getJobType, registerJobType, registeredJobTypes } from './registry.js';

describe('job type registry', () => {
  const definition = { type: 'ecsimg.RegistryProbe', run: async () => 1 };

  it('registers a type once and accepts the same definition again', () => {
    registerJobType(definition);
    registerJobType(definition);
    expect(getJobType('ecsimg.RegistryProbe')).toBe(definition);
    expect(registeredJobTypes()).toContain('ecsimg.RegistryProbe');
  });

  it('refuses a different definition under a taken name', () => {
    registerJobType(definition);
    expect(() => registerJobType({ ...definition })).toThrow(/already registered/);
  });

  it('refuses names that could not be a TaskAction', () => {
    expect(() => registerJobType({ type: 'has space', run: async () => 1 })).toThrow(/not valid/);
    expect(() => registerJobType({ type: '', run: async () => 1 })).toThrow(/not valid/);
  });
});

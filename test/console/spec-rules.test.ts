/**
 * The console's form checks must refuse exactly what the gateway's decoder refuses, with the same
 * code, for every declared scalar parameter of every action this server offers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/api/actions/index.js';
import { decodeParams } from '../../src/api/actions/decode.js';
import type { ActionSpec, ParamSpec, ScalarParam } from '../../src/api/actions/spec.js';
import { isEcsError } from '../../src/domain/errors/index.js';
import {
  checkScalar,
  describeRules,
  possibleViolations,
} from '../../console/src/forms/spec-rules.js';

/** Every scalar parameter, nested fields and list items included, named by its path. */
function scalars(): Array<[string, ScalarParam]> {
  const out: Array<[string, ScalarParam]> = [];
  const visit = (path: string, spec: ParamSpec) => {
    if (spec.type === 'list') visit(`${path}.N`, spec.of);
    else if (spec.type === 'objectList' || spec.type === 'object') {
      for (const [name, field] of Object.entries(spec.fields)) visit(`${path}.${name}`, field);
    } else out.push([path, spec]);
  };
  for (const action of ACTIONS) {
    for (const [name, spec] of Object.entries(action.spec.params)) {
      visit(`${action.spec.name}.${name}`, spec);
    }
  }
  return out;
}

/** The gateway's answer for one value: undefined (accepted) or the error code. */
function serverCode(spec: ScalarParam, raw: string): string | undefined {
  const action: ActionSpec = {
    name: 'Probe',
    summary: { en: '', zh: '' },
    resource: 'probe',
    regional: false,
    params: { P: spec },
  };
  try {
    decodeParams(action, { P: raw });
    return undefined;
  } catch (err) {
    if (isEcsError(err)) return err.code;
    throw err;
  }
}

// Values near the rules: names, Chinese text, URLs, reserved prefixes, numbers, edge lengths.
const pieces = fc.constantFrom(
  'a',
  'Z',
  '镜',
  '9',
  '-',
  '_',
  '.',
  ':',
  ' ',
  '/',
  'é',
  'http://',
  'https://',
  'aliyun',
  'acs:',
  'ACS:',
  'true',
  'False',
  '-1',
  '0',
  '40',
  '500',
  '2049',
  'linux',
  'x86_64',
  'QCOW2',
  'raw',
  'BIOS',
  '2024-05-01T08:00Z',
  'x'.repeat(127),
  'y'.repeat(256),
);
const values = fc.array(pieces, { maxLength: 4 }).map((parts) => parts.join(''));

describe('console form rules', () => {
  const all = scalars();

  it('covers the declared parameters of the actions on this server', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it.each(all)('%s: refuses what the gateway refuses, with the same code', (_path, spec) => {
    fc.assert(
      fc.property(values, (raw) => {
        const server = serverCode(spec, raw);
        const browser = checkScalar(spec, raw);
        expect(browser?.code).toBe(server);
        // The violation is one the form has a message for.
        if (browser) {
          expect(possibleViolations(spec).some((v) => v.key === browser.key)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('puts the image-name rule in words instead of a regular expression', () => {
    const name = all.find(([path]) => path === 'ModifyImageAttribute.ImageName')?.[1];
    expect(name).toBeDefined();
    const keys = describeRules(name!).map((r) => r.key);
    expect(keys).toEqual(['lengthRange', 'startsWith', 'contains', 'noPrefixes', 'noSubstrings']);
  });
});

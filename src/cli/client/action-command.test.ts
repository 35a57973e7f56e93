import { describe, expect, it } from 'vitest';
import { declareAction } from '../../api/actions/spec.js';
import { CliError } from '../io.js';
import { isActionInvocation, parseActionInvocation } from './action-command.js';

const ModifyShare = declareAction({
  name: 'ModifyImageSharePermission',
  resource: 'image',
  summary: { en: 'share', zh: '共享' },
  regional: true,
  dryRun: true,
  params: {
    ImageId: { type: 'string', required: true },
    AddAccount: { type: 'list', of: { type: 'string' }, max: 10 },
    IsPublic: { type: 'boolean' },
    Tag: { type: 'objectList', fields: { Key: { type: 'string' }, Value: { type: 'string' } } },
  },
});
const ACTIONS = new Map([[ModifyShare.name, { spec: ModifyShare }]]);

const parse = (...argv: string[]) => parseActionInvocation(argv, ACTIONS);

function usageError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('parsing `ecsimg <Action> --Param value …`', () => {
  it('recognises a PascalCase first word as an action and nothing else', () => {
    expect(isActionInvocation(['DescribeImages'])).toBe(true);
    expect(isActionInvocation(['accounts', 'list'])).toBe(false);
    expect(isActionInvocation(['--help'])).toBe(false);
    expect(isActionInvocation([])).toBe(false);
  });

  it('numbers the values of a declared list given once or several times', () => {
    expect(parse('ModifyImageSharePermission', '--AddAccount', 'a', 'b', 'c').params).toEqual({
      'AddAccount.1': 'a',
      'AddAccount.2': 'b',
      'AddAccount.3': 'c',
    });
    expect(parse('ModifyImageSharePermission', '--AddAccount', 'a').params).toEqual({
      'AddAccount.1': 'a',
    });
  });

  it('passes explicit X.N and X.N.Y names through unchanged', () => {
    const r = parse(
      'ModifyImageSharePermission',
      '--AddAccount.2',
      'b',
      '--Tag.1.Key',
      'env',
      '--Tag.1.Value=',
    );
    expect(r.params).toEqual({ 'AddAccount.2': 'b', 'Tag.1.Key': 'env', 'Tag.1.Value': '' });
  });

  it('takes --Name=value, including values that start with dashes', () => {
    expect(
      parse('ModifyImageSharePermission', '--ImageId=--odd', '--IsPublic=false').params,
    ).toEqual({ ImageId: '--odd', IsPublic: 'false' });
    expect(parse('ModifyImageSharePermission', '--ImageId', '-1').params).toEqual({
      ImageId: '-1',
    });
  });

  it('reads a bare boolean flag (and DryRun) as true, but refuses other bare names', () => {
    expect(parse('ModifyImageSharePermission', '--IsPublic', '--DryRun').params).toEqual({
      IsPublic: 'true',
      DryRun: 'true',
    });
    expect(usageError(() => parse('ModifyImageSharePermission', '--ImageId')).message).toContain(
      'needs a value',
    );
  });

  it('refuses several values for a scalar and a name given twice', () => {
    expect(
      usageError(() => parse('ModifyImageSharePermission', '--ImageId', 'a', 'b')).message,
    ).toContain('takes one value');
    expect(
      usageError(() => parse('ModifyImageSharePermission', '--ImageId', 'a', '--ImageId', 'b'))
        .message,
    ).toContain('given twice');
  });

  it("separates the client's lower-case options from wire parameters", () => {
    const r = parse(
      'ModifyImageSharePermission',
      '--region',
      'cn-beijing',
      '--endpoint',
      'http://h:1',
      '--ImageId',
      'm-1',
      '--api-key',
      'k',
    );
    expect(r.flags).toEqual({ region: 'cn-beijing', endpoint: 'http://h:1', apiKey: 'k' });
    expect(r.params).toEqual({ ImageId: 'm-1' });
    expect(
      usageError(() => parse('ModifyImageSharePermission', '--imageid', 'x')).message,
    ).toContain('unknown option --imageid');
    expect(usageError(() => parse('ModifyImageSharePermission', 'stray')).message).toContain(
      'unexpected argument',
    );
  });

  it('notes names the declaration does not know, once each', () => {
    const r = parse(
      'ModifyImageSharePermission',
      '--Imageid',
      'x',
      '--Bogus.1',
      'a',
      '--Bogus.2',
      'b',
    );
    expect(r.unknownParams).toEqual(['Imageid', 'Bogus']);
  });

  it('treats several values of a name unknown to this CLI as a list (a newer server)', () => {
    expect(parseActionInvocation(['FutureAction', '--Ids', 'a', 'b'], ACTIONS).params).toEqual({
      'Ids.1': 'a',
      'Ids.2': 'b',
    });
  });

  it('sees --help and -h', () => {
    expect(parse('ModifyImageSharePermission', '--help').help).toBe(true);
    expect(parse('ModifyImageSharePermission', '-h').help).toBe(true);
  });
});

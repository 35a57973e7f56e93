import { describe, expect, it } from 'vitest';
import { CATALOGUE, EcsError } from '../../domain/errors/index.js';
import { ACTIONS } from './index.js';
import { decodeParams } from './decode.js';
import { declareAction, type ActionSpec, type ParamSpec } from './spec.js';

/** An action with the given parameters (not regional unless asked). */
function action(params: Record<string, ParamSpec>, extra: Partial<ActionSpec> = {}): ActionSpec {
  return declareAction({
    name: 'TestAction',
    resource: 'test',
    summary: { en: 'test', zh: '测试' },
    regional: false,
    params,
    ...extra,
  });
}

/** The EcsError `fn` throws (fails the test when it does not throw one). */
function failure(fn: () => unknown): EcsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EcsError) return err;
    throw err;
  }
  throw new Error('expected an EcsError, nothing was thrown');
}

describe('decoder: strings', () => {
  const spec = action({
    Name: { type: 'string', required: true, minLength: 2, maxLength: 4 },
    Label: { type: 'string', default: 'none' },
  });

  it('accepts lengths on both bounds and refuses one past each, naming the parameter', () => {
    expect(decodeParams(spec, { Name: 'ab' }).Name).toBe('ab');
    expect(decodeParams(spec, { Name: 'abcd' }).Name).toBe('abcd');
    const short = failure(() => decodeParams(spec, { Name: 'a' }));
    expect(short.code).toBe('InvalidParameter');
    expect(short.params.name).toBe('Name');
    expect(failure(() => decodeParams(spec, { Name: 'abcde' })).message).toContain('at most 4');
  });

  it('counts characters, not UTF-16 units or bytes', () => {
    expect(decodeParams(spec, { Name: '名字😀' }).Name).toBe('名字😀');
    expect(failure(() => decodeParams(spec, { Name: '😀😀😀😀😀' })).code).toBe('InvalidParameter');
  });

  it('treats an empty value of a required parameter as missing', () => {
    const err = failure(() => decodeParams(spec, { Name: '' }));
    expect(err.code).toBe('MissingParameter');
    expect(err.status).toBe(400);
    expect(err.params.name).toBe('Name');
    expect(failure(() => decodeParams(spec, {})).code).toBe('MissingParameter');
  });

  it('fills the default when absent or empty, and keeps a given value', () => {
    expect(decodeParams(spec, { Name: 'ab' }).Label).toBe('none');
    expect(decodeParams(spec, { Name: 'ab', Label: '' }).Label).toBe('none');
    expect(decodeParams(spec, { Name: 'ab', Label: 'x' }).Label).toBe('x');
  });

  it('keeps an empty string only where allowEmpty says so', () => {
    const s = action({
      Value: { type: 'string', allowEmpty: true },
      Other: { type: 'string' },
    });
    const out = decodeParams(s, { Value: '', Other: '' });
    expect(out.Value).toBe('');
    expect('Other' in out).toBe(false);
  });

  it('checks pattern, ASCII, forbidden prefixes and substrings (any case)', () => {
    const s = action({
      Id: { type: 'string', pattern: '^m-[a-z0-9]+$' },
      Text: { type: 'string', ascii: true },
      ImageName: {
        type: 'string',
        forbidPrefixes: ['http://', 'aliyun'],
        forbidSubstrings: ['<script'],
        invalidCode: 'InvalidImageName.Malformed',
      },
    });
    expect(decodeParams(s, { Id: 'm-abc1' }).Id).toBe('m-abc1');
    expect(failure(() => decodeParams(s, { Id: 'm-ABC' })).code).toBe('InvalidParameter');
    expect(failure(() => decodeParams(s, { Id: 'xm-abc' })).code).toBe('InvalidParameter');
    expect(failure(() => decodeParams(s, { Text: 'héllo' })).code).toBe('InvalidParameter');
    expect(decodeParams(s, { Text: 'hello ~!' }).Text).toBe('hello ~!');
    expect(failure(() => decodeParams(s, { ImageName: 'AliYun-1' })).code).toBe(
      'InvalidImageName.Malformed',
    );
    expect(failure(() => decodeParams(s, { ImageName: 'HTTP://x' })).code).toBe(
      'InvalidImageName.Malformed',
    );
    expect(failure(() => decodeParams(s, { ImageName: 'a<SCRIPT>' })).code).toBe(
      'InvalidImageName.Malformed',
    );
    expect(decodeParams(s, { ImageName: 'my-aliyun' }).ImageName).toBe('my-aliyun');
  });

  it('checks enums exactly, or ignoring case and answering the declared spelling', () => {
    const s = action({
      Exact: { type: 'string', enum: ['self', 'others'] },
      Loose: { type: 'string', enum: ['Available', 'Creating'], caseInsensitive: true },
    });
    expect(decodeParams(s, { Exact: 'self' }).Exact).toBe('self');
    expect(failure(() => decodeParams(s, { Exact: 'Self' })).message).toContain('self, others');
    expect(decodeParams(s, { Loose: 'available' }).Loose).toBe('Available');
    expect(failure(() => decodeParams(s, { Loose: 'gone' })).code).toBe('InvalidParameter');
  });

  it('uses the declared missing code', () => {
    const s = action({
      ImageId: { type: 'string', required: true, missingCode: 'InvalidImageId.NotFound' },
    });
    const err = failure(() => decodeParams(s, {}));
    expect(err.code).toBe('InvalidImageId.NotFound');
  });
});

describe('decoder: integers and booleans', () => {
  const spec = action({
    PageSize: { type: 'integer', min: 1, max: 100, default: 10 },
    Offset: { type: 'integer', min: -5 },
    Force: { type: 'boolean', default: false },
  });

  it('accepts both bounds and refuses one past each', () => {
    expect(decodeParams(spec, { PageSize: '1' }).PageSize).toBe(1);
    expect(decodeParams(spec, { PageSize: '100' }).PageSize).toBe(100);
    expect(failure(() => decodeParams(spec, { PageSize: '0' })).message).toContain('minimum is 1');
    expect(failure(() => decodeParams(spec, { PageSize: '101' })).message).toContain(
      'maximum is 100',
    );
    expect(decodeParams(spec, { Offset: '-5' }).Offset).toBe(-5);
    expect(failure(() => decodeParams(spec, { Offset: '-6' })).code).toBe('InvalidParameter');
  });

  it('refuses text that is not a whole number', () => {
    for (const bad of ['1.5', 'ten', '1e3', '0x10', '--1', '12345678901234567']) {
      expect(failure(() => decodeParams(spec, { PageSize: bad })).code).toBe('InvalidParameter');
    }
  });

  it('applies defaults to absent and empty integers and booleans', () => {
    expect(decodeParams(spec, {})).toEqual({ PageSize: 10, Force: false });
    expect(decodeParams(spec, { PageSize: '', Force: '' })).toEqual({ PageSize: 10, Force: false });
  });

  it('reads true/false in any case and refuses anything else', () => {
    expect(decodeParams(spec, { Force: 'TRUE' }).Force).toBe(true);
    expect(decodeParams(spec, { Force: 'false' }).Force).toBe(false);
    for (const bad of ['yes', '1', 'on']) {
      expect(failure(() => decodeParams(spec, { Force: bad })).params.name).toBe('Force');
    }
  });
});

describe('decoder: lists (Name.N)', () => {
  const spec = action({
    AddAccount: {
      type: 'list',
      of: { type: 'string', pattern: '^\\d+$' },
      max: 3,
      tooManyCode: 'InvalidParamter',
    },
    ImageId: { type: 'list', of: { type: 'string' }, max: 2, overflow: 'ignore' },
    Size: { type: 'list', of: { type: 'integer', min: 1 } },
  });

  it('orders entries by their number, numerically, skipping gaps', () => {
    const out = decodeParams(spec, {
      'Size.10': '10',
      'Size.2': '2',
      'Size.1': '1',
      'Size.5': '5',
    });
    expect(out.Size).toEqual([1, 2, 5, 10]);
  });

  it('ignores index 0, non-numeric indexes and empty values', () => {
    const out = decodeParams(spec, {
      'Size.0': '7',
      'Size.x': '8',
      'Size.1': '',
      'Size.2': '3',
      Size: '9',
    });
    expect(out.Size).toEqual([3]);
    expect('AddAccount' in decodeParams(spec, { 'AddAccount.1': '' })).toBe(false);
  });

  it('validates each entry and names it Name.N', () => {
    const err = failure(() => decodeParams(spec, { 'Size.1': '1', 'Size.2': '0' }));
    expect(err.params.name).toBe('Size.2');
  });

  it('accepts exactly max entries and refuses one more with the declared code', () => {
    const three = { 'AddAccount.1': '1', 'AddAccount.2': '2', 'AddAccount.3': '3' };
    expect(decodeParams(spec, three).AddAccount).toEqual(['1', '2', '3']);
    const err = failure(() => decodeParams(spec, { ...three, 'AddAccount.4': '4' }));
    expect(err.code).toBe('InvalidParamter');
  });

  it('drops entries past max when the cloud ignores them', () => {
    const out = decodeParams(spec, { 'ImageId.1': 'a', 'ImageId.2': 'b', 'ImageId.3': 'c' });
    expect(out.ImageId).toEqual(['a', 'b']);
  });
});

describe('decoder: objects in lists (X.N.Y, X.N.Y.N) and nested objects (X.Y)', () => {
  const spec = action({
    Tag: {
      type: 'objectList',
      max: 2,
      fields: {
        Key: { type: 'string', required: true, maxLength: 8 },
        Value: { type: 'string', allowEmpty: true },
      },
    },
    TagFilter: {
      type: 'objectList',
      fields: {
        TagKey: { type: 'string' },
        TagValues: { type: 'list', of: { type: 'string' }, max: 2, overflow: 'error' },
      },
    },
    Features: {
      type: 'object',
      fields: { ImdsSupport: { type: 'string', enum: ['v1', 'v2'] }, Nvme: { type: 'boolean' } },
    },
  });

  it('builds objects from X.N.Y keys, keeping empty values allowed by the field', () => {
    const out = decodeParams(spec, {
      'Tag.2.Key': 'b',
      'Tag.1.Key': 'a',
      'Tag.1.Value': '',
      'Tag.2.Value': 'two',
    });
    expect(out.Tag).toEqual([
      { Key: 'a', Value: '' },
      { Key: 'b', Value: 'two' },
    ]);
  });

  it('names the failing field with its full wire name', () => {
    const missing = failure(() => decodeParams(spec, { 'Tag.1.Value': 'v' }));
    expect(missing.code).toBe('MissingParameter');
    expect(missing.params.name).toBe('Tag.1.Key');
    const long = failure(() => decodeParams(spec, { 'Tag.1.Key': 'k', 'Tag.2.Key': '123456789' }));
    expect(long.params.name).toBe('Tag.2.Key');
  });

  it('refuses more objects than max', () => {
    const err = failure(() =>
      decodeParams(spec, { 'Tag.1.Key': 'a', 'Tag.2.Key': 'b', 'Tag.3.Key': 'c' }),
    );
    expect(err.code).toBe('InvalidParameter');
    expect(err.params.name).toBe('Tag');
  });

  it('decodes lists inside objects in lists (X.N.Y.N)', () => {
    const out = decodeParams(spec, {
      'TagFilter.1.TagKey': 'env',
      'TagFilter.1.TagValues.2': 'prod',
      'TagFilter.1.TagValues.1': 'dev',
      'TagFilter.2.TagKey': 'team',
    });
    expect(out.TagFilter).toEqual([
      { TagKey: 'env', TagValues: ['dev', 'prod'] },
      { TagKey: 'team' },
    ]);
    const tooMany = failure(() =>
      decodeParams(spec, {
        'TagFilter.1.TagValues.1': 'a',
        'TagFilter.1.TagValues.2': 'b',
        'TagFilter.1.TagValues.3': 'c',
      }),
    );
    expect(tooMany.code).toBe('InvalidParameter');
  });

  it('skips objects whose every field is empty', () => {
    const out = decodeParams(spec, { 'TagFilter.1.TagKey': '', 'TagFilter.2.TagKey': 'x' });
    expect(out.TagFilter).toEqual([{ TagKey: 'x' }]);
  });

  it('decodes a nested object from X.Y keys and checks its fields', () => {
    expect(decodeParams(spec, { 'Features.ImdsSupport': 'v2', 'Features.Nvme': 'true' })).toEqual({
      Features: { ImdsSupport: 'v2', Nvme: true },
    });
    const err = failure(() => decodeParams(spec, { 'Features.ImdsSupport': 'v3' }));
    expect(err.params.name).toBe('Features.ImdsSupport');
    expect('Features' in decodeParams(spec, {})).toBe(false);
  });
});

describe('decoder: envelope rules', () => {
  it('refuses a value for a parameter ecsimg does not support, and accepts its absence', () => {
    const s = action({ KmsKeyId: { type: 'string', unsupported: true } });
    expect(decodeParams(s, {})).toEqual({});
    const err = failure(() => decodeParams(s, { KmsKeyId: 'k' }));
    expect(err.code).toBe('InvalidParameter');
    expect(err.message).toContain('does not support');
  });

  it('requires RegionId for regional actions unless it is optional', () => {
    const regional = action({}, { regional: true });
    expect(failure(() => decodeParams(regional, {})).params.name).toBe('RegionId');
    expect(decodeParams(regional, { RegionId: 'cn-hangzhou' })).toEqual({
      RegionId: 'cn-hangzhou',
    });
    expect(decodeParams(action({}, { regional: true, regionOptional: true }), {})).toEqual({});
    // A non-regional action does not pass RegionId through.
    expect(decodeParams(action({}), { RegionId: 'cn-hangzhou' })).toEqual({});
  });

  it('decodes DryRun only for actions that declare it', () => {
    const dry = action({}, { dryRun: true });
    expect(decodeParams(dry, { DryRun: 'true' }).DryRun).toBe(true);
    expect(decodeParams(dry, { DryRun: '' })).toEqual({});
    expect(failure(() => decodeParams(dry, { DryRun: 'maybe' })).params.name).toBe('DryRun');
    expect(decodeParams(action({}), { DryRun: 'true' })).toEqual({});
  });

  it('ignores parameters the action does not declare', () => {
    expect(decodeParams(action({}), { Unknown: 'x', 'Tag.1.Key': 'k' })).toEqual({});
  });
});

/** Every code a declaration names, with where it is named. */
function declaredCodes(spec: ParamSpec, where: string): Array<[string, string]> {
  const own = [spec.invalidCode, spec.missingCode]
    .concat(spec.type === 'list' || spec.type === 'objectList' ? [spec.tooManyCode] : [])
    .filter((c): c is string => c !== undefined)
    .map((c): [string, string] => [c, where]);
  if (spec.type === 'list') return [...own, ...declaredCodes(spec.of, `${where}.N`)];
  if (spec.type === 'objectList' || spec.type === 'object') {
    return [
      ...own,
      ...Object.entries(spec.fields).flatMap(([f, s]) => declaredCodes(s, `${where}.${f}`)),
    ];
  }
  return own;
}

describe('declarations of every action', () => {
  // A code missing from the catalogue would turn a client mistake into a 500.
  it('name only error codes the catalogue knows', () => {
    const unknown = ACTIONS.flatMap((a) =>
      Object.entries(a.spec.params).flatMap(([name, spec]) =>
        declaredCodes(spec, `${a.spec.name}.${name}`),
      ),
    ).filter(([code]) => !CATALOGUE[code]);
    expect(unknown).toEqual([]);
  });
});

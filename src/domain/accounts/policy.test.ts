import { describe, expect, it } from 'vitest';
import { isAllowed, type PolicyDocument } from './policy.js';

const ACCOUNT = '1234567890123456';
const imageArn = (id: string, region = 'cn-hangzhou') => `acs:ecs:${region}:${ACCOUNT}:image/${id}`;

function policy(...statements: PolicyDocument['Statement']): PolicyDocument {
  return { Version: '1', Statement: statements };
}

describe('RAM policy evaluation', () => {
  it('denies when no statement matches (implicit deny)', () => {
    expect(isAllowed([], 'ecs:DescribeImages', imageArn('m-1'))).toBe(false);
    const onlyCreate = policy({ Effect: 'Allow', Action: 'ecs:CreateImage', Resource: '*' });
    expect(isAllowed([onlyCreate], 'ecs:DescribeImages', imageArn('m-1'))).toBe(false);
  });

  it('allows actions matching a trailing wildcard, and nothing else', () => {
    const describe = policy({ Effect: 'Allow', Action: 'ecs:Describe*', Resource: '*' });
    expect(isAllowed([describe], 'ecs:DescribeImages', imageArn('m-1'))).toBe(true);
    expect(isAllowed([describe], 'ecs:DescribeRegions', 'acs:ecs:*:x:region/*')).toBe(true);
    expect(isAllowed([describe], 'ecs:DeleteImage', imageArn('m-1'))).toBe(false);
    // The wildcard is anchored: it must match the whole action name.
    expect(isAllowed([describe], 'ecs:XDescribeImages', imageArn('m-1'))).toBe(false);
  });

  it('matches actions ignoring case, as RAM does', () => {
    const p = policy({ Effect: 'Allow', Action: 'ECS:describeimages', Resource: '*' });
    expect(isAllowed([p], 'ecs:DescribeImages', imageArn('m-1'))).toBe(true);
  });

  it('lets an explicit Deny win over any Allow, in any order and across documents', () => {
    const allowAll = policy({ Effect: 'Allow', Action: '*', Resource: '*' });
    const denyDelete = policy({ Effect: 'Deny', Action: 'ecs:Delete*', Resource: '*' });
    expect(isAllowed([allowAll, denyDelete], 'ecs:DeleteImage', imageArn('m-1'))).toBe(false);
    expect(isAllowed([denyDelete, allowAll], 'ecs:DeleteImage', imageArn('m-1'))).toBe(false);
    expect(isAllowed([allowAll, denyDelete], 'ecs:CreateImage', imageArn('m-1'))).toBe(true);

    const oneDoc = policy(
      { Effect: 'Deny', Action: 'ecs:DeleteImage', Resource: imageArn('m-keep') },
      { Effect: 'Allow', Action: 'ecs:*', Resource: '*' },
    );
    expect(isAllowed([oneDoc], 'ecs:DeleteImage', imageArn('m-keep'))).toBe(false);
    expect(isAllowed([oneDoc], 'ecs:DeleteImage', imageArn('m-other'))).toBe(true);
  });

  it('matches resources with * and ? wildcards, case-sensitively', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'ecs:DeleteImage',
      Resource: [`acs:ecs:cn-*:${ACCOUNT}:image/m-dev-*`, `acs:ecs:*:${ACCOUNT}:image/m-?`],
    });
    expect(isAllowed([p], 'ecs:DeleteImage', imageArn('m-dev-42'))).toBe(true);
    expect(isAllowed([p], 'ecs:DeleteImage', imageArn('m-dev-42', 'cn-beijing'))).toBe(true);
    expect(isAllowed([p], 'ecs:DeleteImage', imageArn('m-dev-42', 'us-west-1'))).toBe(false);
    expect(isAllowed([p], 'ecs:DeleteImage', imageArn('m-7', 'us-west-1'))).toBe(true);
    expect(isAllowed([p], 'ecs:DeleteImage', imageArn('m-77'))).toBe(false);
    expect(isAllowed([p], 'ecs:DeleteImage', imageArn('M-DEV-42'))).toBe(false);
  });

  it('treats regular-expression characters in patterns literally', () => {
    const p = policy({ Effect: 'Allow', Action: 'ecs:DescribeImages', Resource: 'image/(a|b).+' });
    expect(isAllowed([p], 'ecs:DescribeImages', 'image/(a|b).+')).toBe(true);
    expect(isAllowed([p], 'ecs:DescribeImages', 'image/a')).toBe(false);
  });

  it('takes a list of actions in one statement', () => {
    const p = policy({
      Effect: 'Allow',
      Action: ['ecs:DescribeImages', 'ecs:CreateImage'],
      Resource: '*',
    });
    expect(isAllowed([p], 'ecs:CreateImage', imageArn('m-1'))).toBe(true);
    expect(isAllowed([p], 'ecs:CopyImage', imageArn('m-1'))).toBe(false);
  });
});

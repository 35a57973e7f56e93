/**
 * Parameter rules several actions share, as data (C.1 of the API reference): image names,
 * descriptions, families, ClientToken, tags. CreateImage, ImportImage, CopyImage and the tag
 * actions spread them into their declarations so a rule is written once.
 */
import type { ObjectListParam, StringParam } from './spec.js';

/** 2–128, letter or Chinese character first, then letters, digits and `. : _ -`. */
const NAME_PATTERN = '^[A-Za-z\\p{Script=Han}][A-Za-z0-9\\p{Script=Han}.:_-]*$';

export const IMAGE_NAME = {
  type: 'string',
  minLength: 2,
  maxLength: 128,
  pattern: NAME_PATTERN,
  forbidPrefixes: ['aliyun', 'acs:'],
  forbidSubstrings: ['http://', 'https://'],
  invalidCode: 'InvalidImageName.Malformed',
  description:
    '2-128 characters: a letter or Chinese character first, then letters, digits, ".", ":", ' +
    '"_", "-"; not "aliyun…"/"acs:…"; no http(s)://.',
} as const satisfies StringParam;

export const IMAGE_FAMILY = {
  ...IMAGE_NAME,
  invalidCode: 'InvalidImageFamily.Malformed',
  description: 'Image family: the same rule as image names.',
} as const satisfies StringParam;

export const DESCRIPTION = {
  type: 'string',
  minLength: 2,
  maxLength: 256,
  forbidPrefixes: ['http://', 'https://'],
  invalidCode: 'InvalidDescription.Malformed',
  description: '2-256 characters, not starting with http:// or https://.',
} as const satisfies StringParam;

export const CLIENT_TOKEN = {
  type: 'string',
  maxLength: 64,
  ascii: true,
  invalidCode: 'InvalidClientToken.Malformed',
  description: 'Idempotency token: at most 64 ASCII characters, kept 24 hours.',
} as const satisfies StringParam;

export const TAG_KEY = {
  type: 'string',
  maxLength: 128,
  forbidPrefixes: ['aliyun', 'acs:'],
  forbidSubstrings: ['http://', 'https://'],
  invalidCode: 'InvalidTagKey.Malformed',
} as const satisfies StringParam;

export const TAG_VALUE = {
  type: 'string',
  maxLength: 128,
  allowEmpty: true,
  forbidPrefixes: ['acs:'],
  forbidSubstrings: ['http://', 'https://'],
  invalidCode: 'InvalidTagValue.Malformed',
} as const satisfies StringParam;

/**
 * `Tag.N.Key` / `Tag.N.Value`, N = 1–20. Actions set their own `tooManyCode`
 * (InvalidTagCount on DescribeImages, NumberExceed.Tags on TagResources).
 */
export const TAGS = {
  type: 'objectList',
  fields: { Key: TAG_KEY, Value: TAG_VALUE },
  max: 20,
  description: 'Tags: at most 20; keys 1-128, values 0-128 characters.',
} as const satisfies ObjectListParam;

/**
 * The image's rules as the cloud states them: statuses and their transitions, names, families,
 * quotas. The API declarations check the shapes of parameters; these functions are the same rules
 * for callers inside ecsimg (import, copy, pipelines) that create images without a request.
 */
import { EcsError } from '../errors/index.js';

export const IMAGE_STATUSES = [
  'Creating',
  'Waiting',
  'Available',
  'UnAvailable',
  'CreateFailed',
  'Deprecated',
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/**
 * Allowed moves. Creation: Waiting (queued) → Creating → Available | CreateFailed; the owner
 * toggles Available ⇄ Deprecated; UnAvailable is where an image whose content was lost ends.
 */
export const TRANSITIONS: Readonly<Record<ImageStatus, readonly ImageStatus[]>> = {
  Waiting: ['Creating', 'Available', 'CreateFailed'],
  Creating: ['Available', 'CreateFailed'],
  Available: ['Deprecated', 'UnAvailable'],
  Deprecated: ['Available', 'UnAvailable'],
  UnAvailable: [],
  CreateFailed: [],
};

export function canTransition(from: ImageStatus, to: ImageStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isBeingCreated(status: string): boolean {
  return status === 'Creating' || status === 'Waiting';
}

/** Images a family can hold per account and region, and families per account and region. */
export const IMAGES_PER_FAMILY = 100;
export const FAMILIES_PER_REGION = 100;

/** Letters (any script's Han characters included), then letters, digits and . : _ - */
const NAME_SHAPE = /^[A-Za-z\p{Script=Han}][A-Za-z0-9\p{Script=Han}.:_-]*$/u;

function nameProblem(value: string): string | undefined {
  const length = [...value].length;
  if (length < 2 || length > 128) return '2 to 128 characters';
  if (/https?:\/\//i.test(value)) return 'must not contain http:// or https://';
  if (/^(aliyun|acs:)/i.test(value)) return 'must not start with "aliyun" or "acs:"';
  if (!NAME_SHAPE.test(value)) {
    return 'start with a letter or a Chinese character; then letters, digits, ".", ":", "_", "-"';
  }
  return undefined;
}

/** Throws InvalidImageName.Malformed unless `name` follows the cloud's image-name rule. */
export function checkImageName(name: string): void {
  const reason = nameProblem(name);
  if (reason) throw new EcsError('InvalidImageName.Malformed', { name: 'ImageName', reason });
}

export function checkImageFamily(family: string): void {
  const reason = nameProblem(family);
  if (reason) throw new EcsError('InvalidImageFamily.Malformed', { name: 'ImageFamily', reason });
}

export function checkDescription(description: string): void {
  const length = [...description].length;
  if (length < 2 || length > 256) {
    throw new EcsError('InvalidDescription.Malformed', { reason: '2 to 256 characters' });
  }
  if (/^https?:\/\//i.test(description)) {
    throw new EcsError('InvalidDescription.Malformed', {
      reason: 'must not start with http:// or https://',
    });
  }
}

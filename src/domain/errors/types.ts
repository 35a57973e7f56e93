/** One entry of the error catalogue. Texts may hold `{placeholders}` filled from its params. */
export interface ErrorEntry {
  /** HTTP status the cloud answers with. */
  status: number;
  /** Short message for the API response, in our own words. */
  en: string;
  zh: string;
  /** Why it usually happens (for `ecsimg explain` and the console's troubleshooting page). */
  cause: { en: string; zh: string };
  /** What to do about it. */
  fix: { en: string; zh: string };
}

export type ErrorTable = Record<string, ErrorEntry>;

/**
 * Builds one entry, arguments in the order a reader checks them: status, message, cause, fix,
 * each text as [English, Chinese].
 *
 * @example
 *   e(404, ['The image does not exist.', '镜像不存在。'], [cause_en, cause_zh], [fix_en, fix_zh])
 */
export function e(
  status: number,
  message: [en: string, zh: string],
  cause: [en: string, zh: string],
  fix: [en: string, zh: string],
): ErrorEntry {
  return {
    status,
    en: message[0],
    zh: message[1],
    cause: { en: cause[0], zh: cause[1] },
    fix: { en: fix[0], zh: fix[1] },
  };
}

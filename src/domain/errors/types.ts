/** One entry of the error catalogue. Texts may hold `{placeholders}` filled from the error's params. */
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

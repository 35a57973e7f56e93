/**
 * `ecsimg.Test`: an internal job type that proves the queue works before real jobs exist, and
 * that the tests use to prove leases, cancellation, retries and crash recovery.
 *
 * Internal on purpose: its name is not a cloud TaskAction, so DescribeTasks lists it only when
 * asked for its TaskId, and no process registers it unless told to (`registerTestJobType()`; the
 * tests and their worker script do). It records every side effect as files under
 * `params.effectsDir`, so a test in another process can count what each run did:
 *
 *   <taskId>.log       one line per event: `start|end|cancelled|failed <workerId> <attempt> <ms>`
 *   <taskId>.result    the one result, created exclusively; a re-run returns what is there
 */
import fs from 'node:fs';
import path from 'node:path';
import { registerJobType } from './registry.js';
import { JobFailure, type JobContext, type JobType } from './types.js';

export const TEST_JOB_TYPE = 'ecsimg.Test';

export interface TestJobParams {
  /** Steps to walk; each reports progress. */
  steps: number;
  stepMs: number;
  effectsDir: string;
  /** The first N attempts fail with a retryable error at the middle step. */
  failTimes?: number;
  /** Fail for good with this code at the middle step. */
  failCode?: string;
}

export interface TestJobResult {
  steps: number;
  /** Which worker and attempt produced the result: a re-run must not replace it. */
  producedBy: string;
  attempt: number;
}

function record(
  ctx: { taskId: string; workerId: string; attempt: number },
  dir: string,
  event: string,
) {
  const line = `${event} ${ctx.workerId} ${ctx.attempt} ${Date.now()}\n`;
  fs.appendFileSync(path.join(dir, `${ctx.taskId}.log`), line);
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export const testJobType: JobType<TestJobParams, TestJobResult> = {
  type: TEST_JOB_TYPE,

  async run(ctx: JobContext, params: TestJobParams): Promise<TestJobResult> {
    const resultFile = path.join(params.effectsDir, `${ctx.taskId}.result`);
    record(ctx, params.effectsDir, 'start');

    // An earlier attempt got as far as its result and died before the task was marked Finished.
    if (fs.existsSync(resultFile)) {
      record(ctx, params.effectsDir, 'end');
      return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as TestJobResult;
    }

    const failAt = Math.floor(params.steps / 2);
    for (let step = 0; step < params.steps; step++) {
      if (step === failAt && params.failCode) {
        throw new JobFailure(params.failCode, `failing on request at step ${step}`);
      }
      if (step === failAt && ctx.attempt <= (params.failTimes ?? 0)) {
        throw new Error(`transient failure on request (attempt ${ctx.attempt})`);
      }
      await sleep(params.stepMs, ctx.signal);
      await ctx.progress(((step + 1) / params.steps) * 100);
    }

    // Create the result exclusively: of two runs racing here, one result survives.
    const result: TestJobResult = {
      steps: params.steps,
      producedBy: ctx.workerId,
      attempt: ctx.attempt,
    };
    const temp = `${resultFile}.${process.pid}.${ctx.attempt}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(result));
    try {
      fs.linkSync(temp, resultFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(temp, { force: true });
    }
    record(ctx, params.effectsDir, 'end');
    return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as TestJobResult;
  },

  relatedItems: (result) => [{ Name: 'ProducedBy', Value: result.producedBy }],

  async onCancelled(ctx, params) {
    record(ctx, params.effectsDir, 'cancelled');
  },

  async onFailed(ctx, params, error) {
    record(ctx, params.effectsDir, `failed:${error.code}`);
  },
};

/** Makes this process able to run `ecsimg.Test` jobs (tests and their worker script call it). */
export function registerTestJobType(): void {
  registerJobType(testJobType);
}

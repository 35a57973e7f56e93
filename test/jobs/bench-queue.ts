/**
 * Queue throughput (a measurement, not a test): enqueue N no-op jobs, then let W workers, each
 * with its own database connection and C slots, drain the queue; report enqueue and drain rates
 * per backend. Every job writes progress once and completes, so each costs a lease, a progress
 * write and a completion.
 *
 *   node --import tsx test/jobs/bench-queue.ts [jobs=500] [workers=2] [concurrency=4]
 */
import { JobQueue, Worker, registerJobType } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/log/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { BACKENDS, createTestDatabase } from '../helpers/databases.js';

const [jobs = 500, workerCount = 2, concurrency = 4] = process.argv.slice(2).map(Number);
const TYPE = 'ecsimg.BenchNoop';

registerJobType({
  type: TYPE,
  async run(ctx) {
    await ctx.progress(50);
    return null;
  },
});

for (const backend of BACKENDS) {
  const database = await createTestDatabase(backend);
  const stores: Store[] = [];
  const open = async () => {
    const store = await openStore(database.url, { schema: database.schema });
    stores.push(store);
    return store;
  };
  try {
    const store = await open();
    let n = 0;
    const queue = new JobQueue(store, { newTaskId: () => `t-bench${n++}`, maxAttempts: 3 });

    const enqueueStart = performance.now();
    for (let i = 0; i < jobs; i++) {
      await queue.enqueue(TYPE, {}, { accountId: null, regionId: null });
    }
    const enqueueMs = performance.now() - enqueueStart;

    const workers: Worker[] = [];
    for (let i = 0; i < workerCount; i++) {
      workers.push(
        new Worker({
          store: await open(),
          log: silentLogger(),
          id: `bench-${i}`,
          concurrency,
          leaseMs: 30_000,
          pollMs: 5,
          maxPollMs: 20,
          retryDelayMs: 100,
          types: [TYPE],
        }),
      );
    }
    const drainStart = performance.now();
    for (const w of workers) w.start();
    for (;;) {
      const left = await store.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('status', '!=', 'Finished')
        .executeTakeFirstOrThrow();
      if (Number(left.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const drainMs = performance.now() - drainStart;
    for (const w of workers) await w.stop();

    console.log(
      `${backend}: ${jobs} jobs — enqueue ${(jobs / (enqueueMs / 1000)).toFixed(0)}/s, ` +
        `drain with ${workerCount}×${concurrency} slots ` +
        `${(jobs / (drainMs / 1000)).toFixed(0)}/s ` +
        `(${drainMs.toFixed(0)} ms)`,
    );
  } finally {
    for (const s of stores) await s.close();
    await database.drop();
  }
}

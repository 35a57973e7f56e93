import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { BucketsTable } from '../tables/buckets.js';

export type BucketRow = BucketsTable;

/** OSS buckets' ownership and region (their objects live in blobs/buckets/). */
export class BucketsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** False when the name is taken (by anyone: names are global). */
  async insert(row: BucketRow): Promise<boolean> {
    const result = await this.db
      .insertInto('buckets')
      .values(row)
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async find(name: string): Promise<BucketRow | undefined> {
    const row = await this.db
      .selectFrom('buckets')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && { ...row, created_at: Number(row.created_at) };
  }

  async list(accountId: string, regionId?: string): Promise<BucketRow[]> {
    let q = this.db.selectFrom('buckets').selectAll().where('account_id', '=', accountId);
    if (regionId) q = q.where('region_id', '=', regionId);
    const rows = await q.orderBy('name').execute();
    return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
  }

  async delete(name: string): Promise<void> {
    await this.db.deleteFrom('buckets').where('name', '=', name).execute();
  }
}

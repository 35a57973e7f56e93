/**
 * A store of its own for a repository-level test: a fresh database on the backend, migrated,
 * with the system images seeded, and one of them as a template for custom rows.
 *
 * @example
 *   let s: SeededStore;
 *   beforeEach(async () => (s = await openSeededStore(backend)));
 *   afterEach(() => s.close());
 */
import { ImageService } from '../../src/domain/images/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { ImageRow } from '../../src/store/repositories/images.js';
import { createTestDatabase, type Backend, type TestDatabase } from './databases.js';

export interface SeededStore {
  database: TestDatabase;
  store: Store;
  /** A seeded system image's row: spread it and change what the test needs. */
  template: ImageRow;
  close(): Promise<void>;
}

export async function openSeededStore(backend: Backend, region: string): Promise<SeededStore> {
  const database = await createTestDatabase(backend);
  const store = await openStore(database.url, { schema: database.schema });
  await new ImageService(store).seedSystemImages([region]);
  const template = (await store.db.selectFrom('images').selectAll().limit(1).executeTakeFirst())!;
  return {
    database,
    store,
    template,
    close: async () => {
      await store.close();
      await database.drop();
    },
  };
}

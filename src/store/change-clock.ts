/**
 * The store's change clock: a number that moves whenever committed metadata that a cached read
 * may depend on could have changed — through this process or any other sharing the database.
 *
 * Read-through caches above the store (the gateway's response cache) stamp an entry with the
 * clock read *before* they query, and trust the entry only while the clock still reads the same.
 * A change committed while the entry was being built therefore moves the clock past its stamp.
 *
 * What moves it:
 * - this process's writes: a Kysely plugin ticks after every INSERT/UPDATE/DELETE or raw
 *   statement, except on tables that cached reads never look at (`QUIET_TABLES`), and
 *   `Store.transaction` ticks again after each commit;
 * - other processes on SQLite: `PRAGMA data_version`, which SQLite changes for a connection
 *   whenever another connection commits. Running it costs 2–5 µs, a sizeable part of a cached
 *   answer, so it runs at most once per millisecond (`sampleEvery`): another process's commit is
 *   seen within a millisecond, as on PostgreSQL;
 * - other processes on PostgreSQL: statement triggers on the catalogue's tables send a
 *   notification (migration 0008) that a listening connection turns into a tick. Between
 *   another process's commit and its notification arriving (well under a millisecond on one
 *   host) a cached answer can still be served; while the listener is disconnected the clock
 *   moves on every read, so nothing cached is trusted.
 */
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import pg from 'pg';

/**
 * Tables no cached read depends on, so writing them leaves the clock alone: the job queue (its
 * heartbeats would otherwise tick several times a second), idempotency tokens, chunk manifests
 * and pins, buckets, roles and the account tables (a principal is resolved before any cached
 * read; its answer depends on the account id alone). A table missing here ticks the clock:
 * forgetting one costs cache hits, never a stale answer.
 */
export const QUIET_TABLES: ReadonlySet<string> = new Set([
  'tasks',
  'client_tokens',
  'manifests',
  'manifest_blocks',
  'blob_pins',
  'buckets',
  'service_roles',
  'accounts',
  'ram_users',
  'access_keys',
  'api_keys',
]);

/** The PostgreSQL channel migration 0008's triggers notify; the payload is the schema. */
export const CHANGE_CHANNEL = 'ecsimg_changes';

export class ChangeClock {
  private ticks = 0;
  private lastExternal: unknown;

  /**
   * @param external another source of change (SQLite's data_version, PostgreSQL notifications):
   *   the clock ticks whenever it returns a new value.
   */
  constructor(private external: () => unknown = () => 0) {
    this.lastExternal = external();
  }

  /** The current reading; equal readings mean no change was committed in between. */
  read(): number {
    const external = this.external();
    if (external !== this.lastExternal) {
      this.lastExternal = external;
      this.ticks++;
    }
    return this.ticks;
  }

  /** A change this process made (or may have made). */
  tick(): void {
    this.ticks++;
  }

  setExternal(external: () => unknown): void {
    this.external = external;
    this.lastExternal = external();
    this.ticks++;
  }
}

/**
 * `read`, run at most once per `intervalMs` (monotonic time); calls in between return the last
 * value. For an external source that is costly to ask on every read.
 */
export function sampleEvery(
  intervalMs: number,
  read: () => unknown,
  now: () => number = performance.now.bind(performance),
): () => unknown {
  let value: unknown;
  let readAt = -Infinity;
  return () => {
    const t = now();
    if (t - readAt >= intervalMs) {
      value = read();
      readAt = t;
    }
    return value;
  };
}

/** Ticks `clock` after each statement that can change what a cached read sees. */
export class ChangeClockPlugin implements KyselyPlugin {
  private readonly writes = new WeakSet<object>();

  constructor(private readonly clock: ChangeClock) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (changesCachedData(args.node)) this.writes.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.writes.has(args.queryId)) this.clock.tick();
    return args.result;
  }
}

/** Does the statement write a table outside QUIET_TABLES? Unknown shapes count as writes. */
function changesCachedData(node: RootOperationNode): boolean {
  switch (node.kind) {
    case 'SelectQueryNode':
      return false;
    case 'InsertQueryNode':
      return !isQuiet(node.into);
    case 'UpdateQueryNode':
      return !isQuiet(node.table);
    case 'DeleteQueryNode':
      return !node.from.froms.every(isQuiet);
    case 'RawNode': {
      const head = node.sqlFragments[0]?.trimStart().slice(0, 7).toLowerCase() ?? '';
      return !(head.startsWith('select') || head.startsWith('pragma'));
    }
    default:
      return true;
  }
}

function isQuiet(table: unknown): boolean {
  const name = tableName(table);
  return name !== undefined && QUIET_TABLES.has(name);
}

/** `tasks`, `tasks as t` or `schema.tasks` → `tasks`; anything else → undefined. */
function tableName(node: unknown): string | undefined {
  const n = node as
    | { kind: 'TableNode'; table: { identifier: { name: string } } }
    | { kind: 'AliasNode'; node: unknown }
    | undefined;
  if (n?.kind === 'TableNode') return n.table.identifier.name;
  if (n?.kind === 'AliasNode') return tableName(n.node);
  return undefined;
}

/**
 * PostgreSQL: listens for migration 0008's notifications about `schema` and counts them, on a
 * connection of its own. While it is not connected, `reading()` changes on every call (nothing
 * cached is trusted); it reconnects with back-off and counts the reconnection as a change.
 */
export class PgChangeListener {
  private count = 0;
  private connected = false;
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly schema: string,
  ) {}

  /** Connects and starts listening; resolves once notifications are being received. */
  async start(): Promise<void> {
    await this.connect();
  }

  reading = (): unknown => (this.connected ? this.count : ++this.count);

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    const lost = () => {
      if (this.client !== client) return;
      this.connected = false;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.scheduleReconnect(1000);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      if (msg.channel === CHANGE_CHANNEL && msg.payload === this.schema) this.count++;
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.count++; // anything may have changed while no one was listening
    this.connected = true;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.connect().catch(() => this.scheduleReconnect(Math.min(delayMs * 2, 30_000)));
    }, delayMs);
    this.retry.unref();
  }
}

/**
 * What an action handler receives: the caller, the request's identity, and the services of the
 * domain. Handlers return the success body without RequestId; the gateway adds it.
 */
import type { ChunkStore } from '../blobs/index.js';
import type { Config } from '../config/index.js';
import type { AccountService, Principal } from '../domain/accounts/service.js';
import type { DiskContentService } from '../domain/blobs/index.js';
import type { BucketService } from '../domain/buckets/index.js';
import type { Lang } from '../domain/errors/index.js';
import type { Idempotency } from '../domain/idempotency/index.js';
import type { ImageService } from '../domain/images/index.js';
import type { RegionCatalogue } from '../domain/regions/index.js';
import type { RoleService } from '../domain/roles/index.js';
import type { TagService } from '../domain/tags/index.js';
import type { JobQueue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { Store } from '../store/index.js';
import type { ActionSpec, DecodedParams } from './actions/spec.js';

/** The domain services every handler may use; built once per process in `start/`. */
export interface Services {
  config: Config;
  store: Store;
  accounts: AccountService;
  regions: RegionCatalogue;
  /** The job queue: enqueue slow work, read and cancel tasks. */
  jobs: JobQueue;
  /** The image catalogue: lifecycle for creating areas, queries and changes for the API. */
  images: ImageService;
  tags: TagService;
  /** ClientToken handling shared by every create action. */
  idempotency: Idempotency;
  /** The chunk store disks' content lives in (manifests: `disks`). */
  chunks: ChunkStore;
  /** Disk content as manifests: write from a reader, open as an ExtentSource, pin, collect. */
  disks: DiskContentService;
  /** OSS buckets and their objects. */
  buckets: BucketService;
  /** Service roles ImportImage/ExportImage require (`requireAuthorized`). */
  roles: RoleService;
  log: Logger;
}

export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** Language for localized texts: from x-acs-accept-language / Accept-Language (default en). */
  lang: Lang;
  log: Logger;
  services: Services;
}

export type ResponseBody = Record<string, unknown>;

export interface ActionDefinition<A extends ActionSpec = ActionSpec> {
  spec: A;
  handle(ctx: RequestContext, params: DecodedParams<A>): Promise<ResponseBody>;
  /**
   * The RAM resource the call acts on, for policy checks
   * (`acs:ecs:<region>:<account>:image/<id>`); `*`-suffixed when the call is not about one resource.
   */
  resource?(ctx: RequestContext, params: DecodedParams<A>): string;
  /**
   * Checks that need the domain (names in use, states, quotas) for DryRun=true. The gateway calls
   * it instead of `handle` and then answers DryRunOperation, so a dry run can never act.
   */
  validate?(ctx: RequestContext, params: DecodedParams<A>): Promise<void>;
  /**
   * A read whose answer depends only on the caller's account, the decoded parameters and what
   * the metadata store holds (no clock, no other source): the gateway may answer a repeat from
   * its response cache until the store's change clock moves (api/response-cache.ts). A function
   * decides per request (a dependency installed later may have another source).
   */
  cacheable?: boolean | ((services: Services) => boolean);
}

/** Binds a declaration to its handler, keeping the parameter types. */
export function defineAction<const A extends ActionSpec>(
  spec: A,
  handle: ActionDefinition<A>['handle'],
  options: Pick<ActionDefinition<A>, 'resource' | 'validate' | 'cacheable'> = {},
): ActionDefinition {
  return { spec, handle, ...options } as unknown as ActionDefinition;
}

/**
 * The RPC gateway: one request in, one JSON body out.
 *
 *   collect parameters → find the action → authenticate → throttle → authorize
 *   → decode against the declaration → DryRun → act → render
 *
 * Every failure is an EcsError rendered in the ECS envelope; anything else is a fault of ours,
 * logged at error and answered InternalError. Bad input never reaches the 500 path.
 */
import type { Principal } from '../domain/accounts/service.js';
import { isAllowed } from '../domain/accounts/policy.js';
import { EcsError, isEcsError, type Lang } from '../domain/errors/index.js';
import type { Logger } from '../log/index.js';
import { ACTIONS_BY_NAME } from './actions/index.js';
import { decodeParams } from './actions/decode.js';
import type { ActionDefinition, RequestContext, Services } from './context.js';
import { collectParams, header, type RawRequest } from './protocol/params.js';
import { RateLimiter } from './protocol/rate-limit.js';
import { ResponseCache, withRequestId } from './response-cache.js';
import { errorBody, newRequestId } from './protocol/render.js';
import { NonceCache, readCredential, type CredentialOptions } from './protocol/signatures.js';

export const API_VERSION = '2014-05-26';

export interface GatewayResponse {
  status: number;
  body: Record<string, unknown>;
  /**
   * The body already serialized, as pieces to write in order (answers from the response cache,
   * and those put in it); `body` is then parsed from them on first use.
   */
  chunks?: Buffer[];
  headers: Record<string, string>;
  /** For metrics: the action name (or `unknown`) and the error code, if any. */
  action: string;
  code?: string;
}

interface CachedKey {
  secret?: string;
  principal: Principal;
  expires: number;
  /** AccountService.revision when cached: a policy change drops the entry at once. */
  revision: number;
}

const KEY_CACHE_TTL_MS = 10_000;

/** Answers of a successful dry run: not failures, so not logged as warnings. */
const DRY_RUN_CODES = new Set(['DryRunOperation', 'DRYRUN.SUCCESS']);

export class Gateway {
  private readonly nonces = new NonceCache();
  private readonly limiter: RateLimiter;
  private readonly keyCache = new Map<string, CachedKey>();
  private readonly log: Logger;
  /** Answers of `cacheable` actions (response-cache.ts). */
  readonly responses: ResponseCache;

  constructor(
    private readonly services: Services,
    private readonly actions: ReadonlyMap<string, ActionDefinition> = ACTIONS_BY_NAME,
    private readonly now: () => number = Date.now,
  ) {
    this.log = services.log.child({ component: 'gateway' });
    this.limiter = new RateLimiter(
      services.config.rateLimit.requestsPerSecond,
      services.config.rateLimit.burst,
    );
    this.responses = new ResponseCache(services.config.responseCacheBytes);
  }

  async handle(req: RawRequest, hostId = 'ecsimg'): Promise<GatewayResponse> {
    const requestId = newRequestId();
    let actionName = 'unknown';

    try {
      const params = collectParams(req);
      actionName = params.all.Action ?? header(req, 'x-acs-action') ?? '';
      const version = params.all.Version ?? header(req, 'x-acs-version');

      if (!actionName) throw new EcsError('MissingParameter', { name: 'Action' });
      if (version !== undefined && version !== API_VERSION) {
        throw new EcsError('InvalidVersion', { version });
      }
      const action = this.actions.get(actionName);
      if (!action) throw new EcsError('InvalidAction.NotFound', { action: actionName });

      const { principal, throttleKey } = await this.authenticate(req, params);
      const retryAfter = this.limiter.take(throttleKey, this.now());
      if (retryAfter > 0) {
        const err = new EcsError('Throttling.User');
        return this.failure(err, requestId, hostId, actionName, {
          'x-acs-retry-after': `${retryAfter * 1000}`,
        });
      }

      const decoded = decodeParams(action.spec, params.all);
      // The request's child logger is made on first use: most handlers never log, and a pino
      // child per request was measurable CPU on the DescribeImages path.
      const parentLog = this.log;
      let log: Logger | undefined;
      const ctx: RequestContext = {
        requestId,
        principal,
        lang: pickLang(req),
        get log() {
          return (log ??= parentLog.child({ requestId, action: actionName }));
        },
        services: this.services,
      };
      this.authorize(action, ctx, decoded);
      if (action.spec.regional && typeof decoded.RegionId === 'string') {
        this.services.regions.require(decoded.RegionId);
      }

      if (action.spec.dryRun && decoded.DryRun === true) {
        await action.validate?.(ctx, decoded as never);
        throw new EcsError(action.spec.dryRunCode ?? 'DryRunOperation');
      }

      if (this.responses.enabled && isCacheable(action, this.services)) {
        return await this.cachedAnswer(action, ctx, decoded, actionName);
      }
      const body = await action.handle(ctx, decoded as never);
      return {
        status: 200,
        body: { RequestId: requestId, ...body },
        headers: {},
        action: actionName,
      };
    } catch (err) {
      if (isEcsError(err)) return this.failure(err, requestId, hostId, actionName);

      this.log.error({ err, requestId, action: actionName }, '[gateway] unexpected failure');
      return this.failure(new EcsError('InternalError'), requestId, hostId, actionName);
    }
  }

  /**
   * A cacheable action's answer: from the cache while the store's change clock still reads what
   * it read before the answer was built, otherwise from the handler (and then kept). The caller's
   * account and the decoded parameters are the key; errors are never kept.
   */
  private async cachedAnswer(
    action: ActionDefinition,
    ctx: RequestContext,
    decoded: Record<string, unknown>,
    actionName: string,
  ): Promise<GatewayResponse> {
    const key = `${actionName}\n${ctx.principal.accountId}\n${JSON.stringify(decoded)}`;
    const stamp = this.services.store.changes.read();
    const members =
      this.responses.get(key, stamp) ??
      this.responses.set(key, stamp, JSON.stringify(await action.handle(ctx, decoded as never)));
    const chunks = withRequestId(ctx.requestId, members);
    let body: Record<string, unknown> | undefined;
    return {
      status: 200,
      chunks,
      get body() {
        return (body ??= JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      },
      headers: {},
      action: actionName,
    };
  }

  private failure(
    err: EcsError,
    requestId: string,
    hostId: string,
    action: string,
    headers: Record<string, string> = {},
  ): GatewayResponse {
    if (err.status < 500 && !DRY_RUN_CODES.has(err.code)) {
      this.log.warn({ requestId, action, code: err.code }, `[gateway] ${err.code}: ${err.message}`);
    }
    return {
      status: err.status,
      body: errorBody(err, requestId, hostId),
      headers,
      action,
      code: err.code,
    };
  }

  /**
   * Who sent the request (any of the three schemes), with replay protection. Public so routes
   * beside the RPC endpoint (`/oss/…` object bodies) authenticate exactly as actions do.
   */
  async authenticate(
    req: RawRequest,
    params: ReturnType<typeof collectParams>,
    options: CredentialOptions = {},
  ) {
    const now = this.now();
    const credential = readCredential(req, params, now, options);

    if (credential.scheme === 'bearer') {
      const cacheKey = `bearer:${credential.apiKey}`;
      let cached = this.cached(cacheKey, now);
      if (!cached) {
        const principal = await this.services.accounts.resolveApiKey(credential.apiKey);
        if (!principal) throw new EcsError('InvalidApiKey.NotFound');
        cached = { principal, expires: now + KEY_CACHE_TTL_MS, revision: this.revision };
        this.keyCache.set(cacheKey, cached);
      }
      return { principal: cached.principal, throttleKey: `api:${cached.principal.accountId}` };
    }

    const cacheKey = `ak:${credential.accessKeyId}`;
    let cached = this.cached(cacheKey, now);
    if (!cached) {
      const resolved = await this.services.accounts.resolveAccessKey(credential.accessKeyId);
      if (!resolved) throw new EcsError('InvalidAccessKeyId.NotFound');
      cached = { ...resolved, expires: now + KEY_CACHE_TTL_MS, revision: this.revision };
      this.keyCache.set(cacheKey, cached);
    }
    if (!credential.verify(cached.secret!)) throw new EcsError('SignatureDoesNotMatch');
    if (!this.nonces.remember(credential.accessKeyId, credential.nonce, now)) {
      throw new EcsError('SignatureNonceUsed');
    }
    return { principal: cached.principal, throttleKey: `ak:${credential.accessKeyId}` };
  }

  private cached(key: string, now: number): CachedKey | undefined {
    const hit = this.keyCache.get(key);
    if (hit && hit.expires > now && hit.revision === this.revision) return hit;
    if (hit) this.keyCache.delete(key);
    return undefined;
  }

  private get revision(): number {
    return this.services.accounts.revision;
  }

  private authorize(
    action: ActionDefinition,
    ctx: RequestContext,
    params: Record<string, unknown>,
  ) {
    if (action.spec.adminOnly && !ctx.principal.isAdmin) throw new EcsError('Forbidden');

    const ramUser = ctx.principal.ramUser;
    if (!ramUser) return;
    const region = typeof params.RegionId === 'string' ? params.RegionId : '*';
    const resource =
      action.resource?.(ctx, params as never) ??
      `acs:ecs:${region}:${ctx.principal.accountId}:${action.spec.resource}/*`;
    if (!isAllowed(ramUser.policies, `ecs:${action.spec.name}`, resource)) {
      throw new EcsError('Forbidden.RAM', { action: action.spec.name, resource });
    }
  }
}

function pickLang(req: RawRequest): Lang {
  const v = header(req, 'x-acs-accept-language') ?? header(req, 'accept-language') ?? '';
  return v.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

function isCacheable(action: ActionDefinition, services: Services): boolean {
  const rule = action.cacheable;
  return typeof rule === 'function' ? rule(services) : rule === true;
}

/**
 * Calls any action through the official v7 SDK's generic `callApi`, as a user of the SDK does
 * for actions it has no typed method for (ecsimg's own account actions, a 16 KB parameter …).
 */
import { createRequire } from 'node:module';
import type { ecsClient } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');

export async function callApi(
  client: ReturnType<typeof ecsClient>,
  action: string,
  query: Record<string, string>,
): Promise<{ statusCode: number; body: Record<string, any>; headers: Record<string, string> }> {
  const params = new $OpenApiUtil.Params({
    action,
    version: '2014-05-26',
    protocol: 'HTTP',
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  });
  const request = new $OpenApiUtil.OpenApiRequest({ query });
  return client.callApi(params, request, new RuntimeOptions({})) as never;
}

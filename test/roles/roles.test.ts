/**
 * Service roles through the API (Bearer calls) and the check ImportImage/ExportImage make
 * (`services.roles.requireAuthorized`), on both metadata backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { EcsError } from '../../src/domain/errors/index.js';
import { EXPORT_DEFAULT_ROLE, IMPORT_DEFAULT_ROLE } from '../../src/domain/roles/index.js';
import { BACKENDS } from '../helpers/databases.js';
import { bearerCall, startTestServer, type TestServer } from '../helpers/server.js';

describe.each(BACKENDS)('service roles (%s)', (backend) => {
  let t: TestServer;
  let other: IssuedCredentials;
  beforeAll(async () => {
    t = await startTestServer(backend);
    other = await t.server.services.accounts.createAccount('other');
  });
  afterAll(async () => {
    await t?.close();
  });

  const requireRole = (accountId: string, role: string) =>
    t.server.services.roles.requireAuthorized(accountId, role).then(
      () => 'authorized',
      (err: EcsError) => `${err.status} ${err.code}`,
    );

  it('lists both default roles, unauthorized, on a new account', async () => {
    const { status, body } = await bearerCall(t, 'DescribeServiceRoles');
    expect(status).toBe(200);
    expect(body.ServiceRoles.ServiceRole).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          RoleName: IMPORT_DEFAULT_ROLE,
          Authorized: false,
          IsDefault: true,
        }),
        expect.objectContaining({
          RoleName: EXPORT_DEFAULT_ROLE,
          Authorized: false,
          IsDefault: true,
        }),
      ]),
    );
  });

  it('refuses import and export with NoSetRoletoECSServiceAcount until authorized', async () => {
    expect(await requireRole(t.admin.accountId, IMPORT_DEFAULT_ROLE)).toBe(
      '403 NoSetRoletoECSServiceAcount',
    );

    const { status, body } = await bearerCall(t, 'AuthorizeServiceRole', {
      RoleName: IMPORT_DEFAULT_ROLE,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ RoleName: IMPORT_DEFAULT_ROLE, Authorized: true });
    expect(body.AuthorizedTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(await requireRole(t.admin.accountId, IMPORT_DEFAULT_ROLE)).toBe('authorized');
    // The export role is separate, and another account's authorization is its own.
    expect(await requireRole(t.admin.accountId, EXPORT_DEFAULT_ROLE)).toBe(
      '403 NoSetRoletoECSServiceAcount',
    );
    expect(await requireRole(other.accountId, IMPORT_DEFAULT_ROLE)).toBe(
      '403 NoSetRoletoECSServiceAcount',
    );
  });

  it('requires a custom role to be created, then authorized', async () => {
    const missing = await bearerCall(t, 'AuthorizeServiceRole', { RoleName: 'MyImportRole' });
    expect(missing.status).toBe(404);
    expect(missing.body.Code).toBe('EntityNotExist.Role');
    expect(await requireRole(t.admin.accountId, 'MyImportRole')).toBe(
      '403 NoSetRoletoECSServiceAcount',
    );

    expect((await bearerCall(t, 'CreateServiceRole', { RoleName: 'MyImportRole' })).status).toBe(
      200,
    );
    const again = await bearerCall(t, 'CreateServiceRole', { RoleName: 'MyImportRole' });
    expect(again.body.Code).toBe('EntityAlreadyExists.Role');
    expect(await requireRole(t.admin.accountId, 'MyImportRole')).toBe(
      '403 NoSetRoletoECSServiceAcount',
    );

    await bearerCall(t, 'AuthorizeServiceRole', { RoleName: 'MyImportRole' });
    expect(await requireRole(t.admin.accountId, 'MyImportRole')).toBe('authorized');

    await bearerCall(t, 'RevokeServiceRole', { RoleName: 'MyImportRole' });
    expect(await requireRole(t.admin.accountId, 'MyImportRole')).toBe(
      '403 NoSetRoletoECSServiceAcount',
    );
    await bearerCall(t, 'DeleteServiceRole', { RoleName: 'MyImportRole' });
    const listed = await bearerCall(t, 'DescribeServiceRoles');
    expect(listed.body.ServiceRoles.ServiceRole.map((r: any) => r.RoleName)).not.toContain(
      'MyImportRole',
    );
  });

  it('refuses malformed role names and deleting a default role', async () => {
    const bad = await bearerCall(t, 'AuthorizeServiceRole', { RoleName: 'no spaces allowed' });
    expect(bad.status).toBe(400);
    expect(bad.body.Code).toBe('InvalidRoleName.Malformed');
    const tooLong = await bearerCall(t, 'CreateServiceRole', { RoleName: 'R'.repeat(65) });
    expect(tooLong.body.Code).toBe('InvalidRoleName.Malformed');
    expect((await bearerCall(t, 'CreateServiceRole', { RoleName: 'R'.repeat(64) })).status).toBe(
      200,
    );
    const del = await bearerCall(t, 'DeleteServiceRole', { RoleName: EXPORT_DEFAULT_ROLE });
    expect(del.body.Code).toBe('DeleteConflict.Role.Default');
  });
});

/**
 * Import and export need the account to have authorized a service role (as on the cloud, where
 * the ECS service reads and writes OSS on the account's behalf). This shows whether it is, and
 * authorizes it in one click when it is not.
 */
import { Alert, Button } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { authorizeRole, listRoles, ROLE_ACTIONS } from '../../api/oss.js';
import { useSpecs } from '../../api/specs.js';
import { useShowError } from '../../components/error-notice.js';

/** undefined while unknown; true/false once the server said. */
export function useRoleAuthorized(role: string): [boolean | undefined, () => void] {
  const specs = useSpecs();
  const showError = useShowError();
  const [authorized, setAuthorized] = useState<boolean>();
  const offered = specs?.has(ROLE_ACTIONS.list);

  const refresh = useCallback(() => {
    if (!offered) return;
    listRoles()
      .then((roles) => setAuthorized(roles.some((r) => r.RoleName === role && r.Authorized)))
      .catch(showError);
  }, [offered, role, showError]);

  useEffect(refresh, [refresh]);
  return [authorized, refresh];
}

export function RoleCheck({ role }: { role: string }) {
  const { t } = useTranslation();
  const showError = useShowError();
  const [authorized, refresh] = useRoleAuthorized(role);
  const [busy, setBusy] = useState(false);

  if (authorized !== false) return null;
  const authorize = async () => {
    setBusy(true);
    try {
      await authorizeRole(role);
      refresh();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      data-testid="role-missing"
      title={t('roles.missing', { role })}
      description={t('roles.why')}
      action={
        <Button
          type="primary"
          size="small"
          loading={busy}
          onClick={authorize}
          data-testid="authorize-role"
        >
          {t('roles.authorize')}
        </Button>
      }
    />
  );
}

/**
 * The frame around every page: header (brand, region, language, account) and the side menu built
 * from the page registry.
 */
import { GlobalOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { Button, Dropdown, Layout, Menu, Segmented, Select, Space } from 'antd';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { callAction } from '../api/client.js';
import { setRegion, signOut, useRegion, useSession } from '../api/session.js';
import { setLanguage, type Language } from '../i18n/index.js';
import { MENU_GROUPS, PAGES, type PageEntry } from '../pages/registry.js';
import { navigate } from '../router.js';
import { useShowError } from './error-notice.js';

interface Region {
  RegionId: string;
  LocalName: string;
}

function RegionSwitcher() {
  const { t, i18n } = useTranslation();
  const region = useRegion();
  const session = useSession();
  const showError = useShowError();
  const [regions, setRegions] = useState<Region[]>([]);

  useEffect(() => {
    if (!session) return;
    const controller = new AbortController();
    callAction<{ Regions: { Region: Region[] } }>(
      'DescribeRegions',
      { AcceptLanguage: i18n.language === 'zh' ? 'zh-CN' : 'en-US' },
      { signal: controller.signal },
    )
      .then((body) => {
        setRegions(body.Regions.Region);
        // A region remembered from another server may not exist here.
        const ids = body.Regions.Region.map((r) => r.RegionId);
        if (ids.length && !ids.includes(region)) setRegion(ids[0]);
      })
      .catch(showError);
    return () => controller.abort();
  }, [session, i18n.language, showError, region]);

  return (
    <Select
      aria-label={t('header.region')}
      data-testid="region-switcher"
      value={region}
      onChange={setRegion}
      style={{ minWidth: 190 }}
      suffixIcon={<GlobalOutlined />}
      options={(regions.length ? regions : [{ RegionId: region, LocalName: region }]).map((r) => ({
        value: r.RegionId,
        label: `${r.LocalName} (${r.RegionId})`,
      }))}
    />
  );
}

export function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  return (
    <Segmented
      aria-label={t('header.language')}
      data-testid="language-switcher"
      value={i18n.language === 'zh' ? 'zh' : 'en'}
      onChange={(v) => setLanguage(v as Language)}
      options={[
        { value: 'en', label: 'English' },
        { value: 'zh', label: '中文' },
      ]}
    />
  );
}

function Account() {
  const { t } = useTranslation();
  const session = useSession();
  if (!session) {
    return (
      <Button type="primary" onClick={() => navigate('/images')}>
        {t('signIn.submit')}
      </Button>
    );
  }
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [
          {
            key: 'kind',
            disabled: true,
            label: t('header.signedInWith', { kind: t(`signIn.kind.${session.credentials.kind}`) }),
          },
          { type: 'divider' },
          {
            key: 'signout',
            icon: <LogoutOutlined />,
            label: t('header.signOut'),
            onClick: () => signOut(),
          },
        ],
      }}
    >
      <Button type="text" icon={<UserOutlined />} style={{ color: '#fff' }} data-testid="account">
        {session.label}
      </Button>
    </Dropdown>
  );
}

export function ConsoleLayout({ current, children }: { current: PageEntry; children: ReactNode }) {
  const { t } = useTranslation();
  const session = useSession();

  const items = useMemo(
    () =>
      MENU_GROUPS.map((group) => ({
        type: 'group' as const,
        key: group,
        label: t(`nav.group.${group}`),
        children: PAGES.filter((p) => p.group === group && (session || p.public)).map((p) => ({
          key: p.path,
          icon: p.icon,
          label: <a href={`#${p.path}`}>{t(p.titleKey)}</a>,
        })),
      })).filter((g) => g.children.length > 0),
    [t, session],
  );

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a
        className="ecsimg-skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {t('header.skip')}
      </a>
      <Layout.Header
        style={{
          display: 'flex',
          alignItems: 'center',
          gap: 16,
          paddingInline: 20,
          background: '#1f2329',
        }}
      >
        <span className="ecsimg-brand">{t('app.name')}</span>
        <span style={{ color: 'rgba(255,255,255,0.55)', fontSize: 13 }}>{t('app.tagline')}</span>
        <div style={{ flex: 1 }} />
        <Space size="middle">
          {session && <RegionSwitcher />}
          <LanguageSwitcher />
          <Account />
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={192} breakpoint="lg" collapsedWidth={56} theme="light">
          <nav aria-label={t('nav.label')}>
            <Menu
              mode="inline"
              selectedKeys={[current.path]}
              items={items}
              style={{ borderInlineEnd: 0 }}
            />
          </nav>
        </Layout.Sider>
        <Layout.Content
          id="main"
          tabIndex={-1}
          role="main"
          style={{ padding: '16px 24px', minWidth: 0, outline: 'none' }}
        >
          {children}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

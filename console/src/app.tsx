/**
 * The console's shell: antd's theme and locale, the sign-in gate, and the page for the route.
 */
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from './api/session.js';
import { ConsoleLayout } from './components/console-layout.js';
import { SignIn } from './components/sign-in.js';
import { findPage, HOME_PATH } from './pages/registry.js';
import { navigate, useRoute } from './router.js';

function Page() {
  const route = useRoute();
  const session = useSession();
  const { t } = useTranslation();
  const page = findPage(route.path);

  useEffect(() => {
    if (!page) navigate(HOME_PATH, {}, { replace: true });
  }, [page]);

  useEffect(() => {
    document.title = page ? `${t(page.titleKey)} · ${t('app.name')}` : t('app.name');
  }, [page, t]);

  if (!page) return null;
  if (!session && !page.public) return <SignIn />;

  const Component = page.component;
  const content = (
    <Suspense fallback={<Spin style={{ display: 'block', margin: 48 }} />}>
      <Component />
    </Suspense>
  );
  return <ConsoleLayout current={page}>{content}</ConsoleLayout>;
}

export function App() {
  const { i18n } = useTranslation();
  const zh = i18n.language === 'zh';
  dayjs.locale(zh ? 'zh-cn' : 'en');

  return (
    <ConfigProvider
      locale={zh ? zhCN : enUS}
      theme={{ token: { colorPrimary: '#ff6a00', borderRadius: 4 } }}
    >
      <AntApp>
        <Page />
      </AntApp>
    </ConfigProvider>
  );
}

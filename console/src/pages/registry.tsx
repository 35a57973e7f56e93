/**
 * Every page of the console, in menu order. Adding a page is one entry here: the route, the menu
 * group and label, and the lazily loaded component (each page is its own chunk of the build).
 * Planned: Instances and Snapshots (group "compute"), Image Builder (group "images").
 */
import {
  CloudServerOutlined,
  DatabaseOutlined,
  FileSearchOutlined,
  UnorderedListOutlined,
} from '@ant-design/icons';
import { lazy, type ComponentType, type LazyExoticComponent, type ReactNode } from 'react';

export type MenuGroup = 'images' | 'compute' | 'storage' | 'operations' | 'help';

export interface PageEntry {
  /** Route path under the hash: `/images`. */
  path: string;
  /** i18n key of the menu label and page title. */
  titleKey: string;
  group: MenuGroup;
  icon: ReactNode;
  component: LazyExoticComponent<ComponentType>;
  /** Reachable without signing in (reads only public data). */
  public?: boolean;
}

export const MENU_GROUPS: MenuGroup[] = ['images', 'compute', 'storage', 'operations', 'help'];

export const PAGES: PageEntry[] = [
  {
    path: '/images',
    titleKey: 'nav.images',
    group: 'images',
    icon: <CloudServerOutlined />,
    component: lazy(() => import('./images/images-page.js')),
  },
  {
    path: '/tasks',
    titleKey: 'nav.tasks',
    group: 'operations',
    icon: <UnorderedListOutlined />,
    component: lazy(() => import('./tasks/tasks-page.js')),
  },
  {
    path: '/buckets',
    titleKey: 'nav.buckets',
    group: 'storage',
    icon: <DatabaseOutlined />,
    component: lazy(() => import('./buckets/buckets-page.js')),
  },
  {
    path: '/troubleshooting',
    titleKey: 'nav.troubleshooting',
    group: 'help',
    icon: <FileSearchOutlined />,
    component: lazy(() => import('./troubleshooting/troubleshooting-page.js')),
    public: true,
  },
];

export const HOME_PATH = '/images';

export function findPage(path: string): PageEntry | undefined {
  return PAGES.find((p) => p.path === path || path.startsWith(`${p.path}/`));
}

/**
 * Every action the gateway answers. Each resource group keeps its declarations and handlers in a
 * folder of its own and exports a list here.
 */
import type { ActionDefinition } from '../context.js';
import { ACCOUNT_ACTIONS } from './accounts/index.js';
import { IMAGE_ACTIONS } from './images/index.js';
import { IMPORT_EXPORT_ACTIONS } from './import-export/index.js';
import { OSS_ACTIONS } from './oss/index.js';
import { REGION_ACTIONS } from './regions/index.js';
import { ROLE_ACTIONS } from './roles/index.js';
import { TAG_ACTIONS } from './tags/index.js';
import { TASK_ACTIONS } from './tasks/index.js';

export const ACTIONS: ActionDefinition[] = [
  ...REGION_ACTIONS,
  ...ACCOUNT_ACTIONS,
  ...TASK_ACTIONS,
  ...IMAGE_ACTIONS,
  ...IMPORT_EXPORT_ACTIONS,
  ...TAG_ACTIONS,
  ...ROLE_ACTIONS,
  ...OSS_ACTIONS,
];

export const ACTIONS_BY_NAME: ReadonlyMap<string, ActionDefinition> = new Map(
  ACTIONS.map((a) => [a.spec.name, a]),
);

import { columnsOf } from './columns.js';

/** Tags of every taggable resource type (image, snapshot …), one row per (resource, key). */
export interface TagsTable {
  account_id: string;
  region_id: string;
  /** Lower-case, as the tag API spells it: image, snapshot … */
  resource_type: string;
  resource_id: string;
  tag_key: string;
  tag_value: string;
  created_at: number;
}

/** Every column of `tags` (columns.ts says why). */
export const TAG_COLUMNS = columnsOf<TagsTable>({
  account_id: true,
  region_id: true,
  resource_type: true,
  resource_id: true,
  tag_key: true,
  tag_value: true,
  created_at: true,
});

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

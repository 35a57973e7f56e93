/** OSS buckets: names are unique across the installation, as on OSS. Times are epoch ms. */
export interface BucketsTable {
  name: string;
  account_id: string;
  region_id: string;
  created_at: number;
}

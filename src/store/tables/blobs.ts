/**
 * Manifests of disk content (see blobs/manifest.ts) and the pins that protect them from the
 * garbage collector. Times are epoch milliseconds; flags are 0/1.
 */
export interface ManifestsTable {
  /** `mf-` + 20 characters. Images' disk device mappings and snapshots refer to it. */
  id: string;
  virtual_size: number;
  block_size: number;
  /** `writing` while a job fills it, `complete` once every block is recorded. */
  state: string;
  /** Data (non-zero) blocks; set on completion. */
  data_blocks: number;
  /** Deleted by its owner while pinned: dropped by the collector once no pin is live. */
  released: number;
  created_at: number;
  completed_at: number | null;
}

/** One data block of a manifest; blocks absent from this table read as zeros. */
export interface ManifestBlocksTable {
  manifest_id: string;
  block_index: number;
  /** Chunk address (opaque; sha256 hex for plaintext chunks). */
  address: string;
}

/** A running job's hold on a manifest: while live, the manifest (and its chunks) stay. */
export interface BlobPinsTable {
  id: string;
  manifest_id: string;
  /** Who holds it, e.g. a task id. */
  holder: string;
  created_at: number;
  /** The pin lapses after this (the holder renews it while it runs): a crash cannot pin forever. */
  expires_at: number;
}

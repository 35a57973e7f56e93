/**
 * Where ExportImage puts each disk. The cloud does not document its object names; ours are
 *
 *   [<OSSPrefix>_]<ImageId>_system.<ext>     the system disk
 *   [<OSSPrefix>_]<ImageId>_data<N>.<ext>    data disk N (1, 2, … in DiskDeviceMapping order)
 *
 * with `<ext>` the ImageFormat (`raw`, `qcow2`, `vhd`, `vmdk`, `vdi`). Names derive from the
 * image alone, so a re-run after a crash replaces its own objects and nothing else.
 */
import type { OutputFormat } from '../../formats/index.js';

/**
 * @example
 *   exportObjectKey({ prefix: 'nightly', imageId: 'm-bp1', type: 'data', dataIndex: 2,
 *     format: 'qcow2' })  // → 'nightly_m-bp1_data2.qcow2'
 */
export function exportObjectKey(input: {
  prefix?: string;
  imageId: string;
  type: 'system' | 'data';
  /** 1-based among the data disks. */
  dataIndex?: number;
  format: OutputFormat;
}): string {
  const disk = input.type === 'system' ? 'system' : `data${input.dataIndex ?? 1}`;
  const head = input.prefix ? `${input.prefix}_` : '';
  return `${head}${input.imageId}_${disk}.${input.format}`;
}

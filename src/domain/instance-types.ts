/**
 * The instance types this installation knows: a realistic subset of the cloud's families, used by
 * DescribeImageSupportInstanceTypes and by DescribeImages' InstanceType filter. ecsimg runs no
 * instances of its own; the catalogue answers "could this image boot on that type" from the
 * architecture (and, for Windows, the memory floor), as the cloud's answer mostly does.
 */

export type CpuArchitecture = 'x86_64' | 'arm64';

export interface InstanceType {
  /** `ecs.g7.large` */
  id: string;
  /** `ecs.g7` */
  family: string;
  cpuCoreCount: number;
  /** GiB; fractional for the smallest burstable types. */
  memoryGib: number;
  architecture: CpuArchitecture;
}

interface FamilySpec {
  family: string;
  architecture: CpuArchitecture;
  /** GiB of memory per vCPU. */
  memoryPerCore: number;
  /** size name → vCPUs */
  sizes: Record<string, number>;
}

const STANDARD_SIZES = { large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32 };

const FAMILIES: FamilySpec[] = [
  { family: 'ecs.g7', architecture: 'x86_64', memoryPerCore: 4, sizes: STANDARD_SIZES },
  { family: 'ecs.c7', architecture: 'x86_64', memoryPerCore: 2, sizes: STANDARD_SIZES },
  { family: 'ecs.r7', architecture: 'x86_64', memoryPerCore: 8, sizes: STANDARD_SIZES },
  { family: 'ecs.g8i', architecture: 'x86_64', memoryPerCore: 4, sizes: STANDARD_SIZES },
  { family: 'ecs.c8i', architecture: 'x86_64', memoryPerCore: 2, sizes: STANDARD_SIZES },
  { family: 'ecs.g8y', architecture: 'arm64', memoryPerCore: 4, sizes: STANDARD_SIZES },
  { family: 'ecs.c8y', architecture: 'arm64', memoryPerCore: 2, sizes: STANDARD_SIZES },
  { family: 'ecs.r8y', architecture: 'arm64', memoryPerCore: 8, sizes: STANDARD_SIZES },
];

/** Burstable t6 types are named by their vCPU:memory ratio (c4m1 = 4 vCPUs per GiB). */
const T6: Array<[id: string, cores: number, memoryGib: number]> = [
  ['ecs.t6-c4m1.large', 2, 0.5],
  ['ecs.t6-c2m1.large', 2, 1],
  ['ecs.t6-c1m1.large', 2, 2],
  ['ecs.t6-c1m2.large', 2, 4],
  ['ecs.t6-c1m4.large', 2, 8],
  ['ecs.t6-c1m4.xlarge', 4, 16],
];

function build(): InstanceType[] {
  const out: InstanceType[] = [];
  for (const f of FAMILIES) {
    for (const [size, cores] of Object.entries(f.sizes)) {
      out.push({
        id: `${f.family}.${size}`,
        family: f.family,
        cpuCoreCount: cores,
        memoryGib: cores * f.memoryPerCore,
        architecture: f.architecture,
      });
    }
  }
  for (const [id, cores, memoryGib] of T6) {
    out.push({
      id,
      family: 'ecs.t6',
      cpuCoreCount: cores,
      memoryGib,
      architecture: 'x86_64',
    });
  }
  return out;
}

export const INSTANCE_TYPES: readonly InstanceType[] = build();

const BY_ID = new Map(INSTANCE_TYPES.map((t) => [t.id, t]));

export function findInstanceType(id: string): InstanceType | undefined {
  return BY_ID.get(id);
}

/** The CPU architecture an image of `imageArchitecture` needs (i386 runs on x86_64 types). */
export function hostArchitecture(imageArchitecture: string): CpuArchitecture {
  return imageArchitecture === 'arm64' ? 'arm64' : 'x86_64';
}

/** Windows images need at least 1 GiB of memory, as on the cloud. */
export const WINDOWS_MIN_MEMORY_GIB = 1;

/**
 * The instance types an image can boot on.
 *
 * @example
 *   supportedInstanceTypes({ architecture: 'arm64', osType: 'linux' }) // → ecs.g8y.*, ecs.c8y.* …
 */
export function supportedInstanceTypes(image: {
  architecture: string;
  osType: string;
}): InstanceType[] {
  const arch = hostArchitecture(image.architecture);
  return INSTANCE_TYPES.filter(
    (t) =>
      t.architecture === arch &&
      (image.osType !== 'windows' || t.memoryGib >= WINDOWS_MIN_MEMORY_GIB),
  );
}

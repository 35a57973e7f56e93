/**
 * The public images every region offers on a new install, modelled on the cloud's own
 * (`ubuntu_22_04_x64_20G_alibase_20240130.vhd` …): the same IDs in every region, ImageOwnerAlias
 * `system`, `acs:` families so DescribeImageFromFamily resolves them. They carry metadata only —
 * no disk content; instances are not launched here.
 */

/** The UID that owns system images. No account can sign in as it. */
export const SYSTEM_ACCOUNT_ID = '1000000000000001';

export interface SystemImageSpec {
  id: string;
  osNameZh: string;
  osNameEn: string;
  platform: string;
  osType: 'linux' | 'windows';
  architecture: 'x86_64' | 'arm64' | 'i386';
  bootMode: 'BIOS' | 'UEFI' | 'UEFI-Preferred';
  family: string;
  sizeGib: number;
  /** Release date (UTC), which becomes the image's CreationTime. */
  released: string;
  imdsSupport: 'v1' | 'v2';
  nvmeSupport: 'supported' | 'unsupported';
  /** CPU and memory hot-plug (Filter.N.Key CpuOnlineUpgrade …). */
  hotPlug: boolean;
  description: string;
}

const linux = (
  spec: Omit<SystemImageSpec, 'osType' | 'description' | 'hotPlug'> & { hotPlug?: boolean },
): SystemImageSpec => ({
  osType: 'linux',
  hotPlug: false,
  description: `${spec.osNameEn} public image`,
  ...spec,
});

export const SYSTEM_IMAGES: readonly SystemImageSpec[] = [
  linux({
    id: 'aliyun_3_x64_20G_alibase_20240528.vhd',
    osNameZh: 'Alibaba Cloud Linux  3.2104 LTS 64位',
    osNameEn: 'Alibaba Cloud Linux  3.2104 LTS 64 bit',
    platform: 'Aliyun',
    architecture: 'x86_64',
    bootMode: 'UEFI-Preferred',
    family: 'acs:alibaba_cloud_linux_3_2104_lts_x64',
    sizeGib: 20,
    released: '2024-05-28T08:12:40Z',
    imdsSupport: 'v2',
    nvmeSupport: 'supported',
    hotPlug: true,
  }),
  linux({
    id: 'aliyun_3_x64_20G_alibase_20231220.vhd',
    osNameZh: 'Alibaba Cloud Linux  3.2104 LTS 64位',
    osNameEn: 'Alibaba Cloud Linux  3.2104 LTS 64 bit',
    platform: 'Aliyun',
    architecture: 'x86_64',
    bootMode: 'UEFI-Preferred',
    family: 'acs:alibaba_cloud_linux_3_2104_lts_x64',
    sizeGib: 20,
    released: '2023-12-20T06:45:03Z',
    imdsSupport: 'v2',
    nvmeSupport: 'supported',
    hotPlug: true,
  }),
  linux({
    id: 'aliyun_3_arm64_20G_alibase_20240528.vhd',
    osNameZh: 'Alibaba Cloud Linux  3.2104 LTS 64位 ARM版',
    osNameEn: 'Alibaba Cloud Linux  3.2104 LTS 64 bit ARM Edition',
    platform: 'Aliyun',
    architecture: 'arm64',
    bootMode: 'UEFI',
    family: 'acs:alibaba_cloud_linux_3_2104_lts_arm64',
    sizeGib: 20,
    released: '2024-05-28T09:20:11Z',
    imdsSupport: 'v2',
    nvmeSupport: 'supported',
  }),
  linux({
    id: 'ubuntu_24_04_x64_20G_alibase_20240812.vhd',
    osNameZh: 'Ubuntu  24.04 64位',
    osNameEn: 'Ubuntu  24.04 64 bit',
    platform: 'Ubuntu',
    architecture: 'x86_64',
    bootMode: 'UEFI-Preferred',
    family: 'acs:ubuntu_24_04_x64',
    sizeGib: 20,
    released: '2024-08-12T03:10:55Z',
    imdsSupport: 'v2',
    nvmeSupport: 'supported',
  }),
  linux({
    id: 'ubuntu_22_04_x64_20G_alibase_20240130.vhd',
    osNameZh: 'Ubuntu  22.04 64位',
    osNameEn: 'Ubuntu  22.04 64 bit',
    platform: 'Ubuntu',
    architecture: 'x86_64',
    bootMode: 'BIOS',
    family: 'acs:ubuntu_22_04_x64',
    sizeGib: 20,
    released: '2024-01-30T02:31:47Z',
    imdsSupport: 'v1',
    nvmeSupport: 'supported',
  }),
  linux({
    id: 'ubuntu_22_04_arm64_20G_alibase_20240130.vhd',
    osNameZh: 'Ubuntu  22.04 64位 ARM版',
    osNameEn: 'Ubuntu  22.04 64 bit ARM Edition',
    platform: 'Ubuntu',
    architecture: 'arm64',
    bootMode: 'UEFI',
    family: 'acs:ubuntu_22_04_arm64',
    sizeGib: 20,
    released: '2024-01-30T04:02:19Z',
    imdsSupport: 'v1',
    nvmeSupport: 'supported',
  }),
  linux({
    id: 'debian_12_6_x64_20G_alibase_20240717.vhd',
    osNameZh: 'Debian  12.6 64位',
    osNameEn: 'Debian  12.6 64 bit',
    platform: 'Debian',
    architecture: 'x86_64',
    bootMode: 'BIOS',
    family: 'acs:debian_12_x64',
    sizeGib: 20,
    released: '2024-07-17T07:33:26Z',
    imdsSupport: 'v1',
    nvmeSupport: 'supported',
  }),
  linux({
    id: 'centos_7_9_x64_20G_alibase_20240628.vhd',
    osNameZh: 'CentOS  7.9 64位',
    osNameEn: 'CentOS  7.9 64 bit',
    platform: 'CentOS',
    architecture: 'x86_64',
    bootMode: 'BIOS',
    family: 'acs:centos_7_9_x64',
    sizeGib: 20,
    released: '2024-06-28T01:54:08Z',
    imdsSupport: 'v1',
    nvmeSupport: 'unsupported',
  }),
  linux({
    id: 'centos_stream_9_x64_20G_alibase_20240320.vhd',
    osNameZh: 'CentOS Stream  9 64位',
    osNameEn: 'CentOS Stream  9 64 bit',
    platform: 'CentOS Stream',
    architecture: 'x86_64',
    bootMode: 'UEFI-Preferred',
    family: 'acs:centos_stream_9_x64',
    sizeGib: 20,
    released: '2024-03-20T10:08:51Z',
    imdsSupport: 'v1',
    nvmeSupport: 'supported',
  }),
  linux({
    id: 'rockylinux_9_4_x64_20G_alibase_20240709.vhd',
    osNameZh: 'Rocky Linux  9.4 64位',
    osNameEn: 'Rocky Linux  9.4 64 bit',
    platform: 'Rocky Linux',
    architecture: 'x86_64',
    bootMode: 'UEFI-Preferred',
    family: 'acs:rockylinux_9_x64',
    sizeGib: 20,
    released: '2024-07-09T05:17:36Z',
    imdsSupport: 'v1',
    nvmeSupport: 'supported',
  }),
  linux({
    id: 'anolisos_8_9_x64_20G_rhck_alibase_20240221.vhd',
    osNameZh: 'Anolis OS  8.9 RHCK 64位',
    osNameEn: 'Anolis OS  8.9 RHCK 64 bit',
    platform: 'Anolis',
    architecture: 'x86_64',
    bootMode: 'BIOS',
    family: 'acs:anolis_8_9_rhck_x64',
    sizeGib: 20,
    released: '2024-02-21T09:41:02Z',
    imdsSupport: 'v1',
    nvmeSupport: 'supported',
  }),
  {
    id: 'win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240515.vhd',
    osNameZh: 'Windows Server  2022 数据中心版 64位中文版',
    osNameEn: 'Windows Server  2022 Datacenter 64 bit Chinese Edition',
    platform: 'Windows Server 2022',
    osType: 'windows',
    architecture: 'x86_64',
    bootMode: 'UEFI-Preferred',
    family: 'acs:windows_server_2022_datacenter_x64_zh-cn',
    sizeGib: 40,
    released: '2024-05-15T11:26:44Z',
    imdsSupport: 'v1',
    nvmeSupport: 'supported',
    hotPlug: false,
    description: 'Windows Server 2022 Datacenter (Chinese) public image',
  },
  {
    id: 'win2019_1809_x64_dtc_en-us_40G_alibase_20240515.vhd',
    osNameZh: 'Windows Server  2019 数据中心版 64位英文版',
    osNameEn: 'Windows Server  2019 Datacenter 64 bit English Edition',
    platform: 'Windows Server 2019',
    osType: 'windows',
    architecture: 'x86_64',
    bootMode: 'BIOS',
    family: 'acs:windows_server_2019_datacenter_x64_en-us',
    sizeGib: 40,
    released: '2024-05-15T12:03:17Z',
    imdsSupport: 'v1',
    nvmeSupport: 'unsupported',
    hotPlug: false,
    description: 'Windows Server 2019 Datacenter (English) public image',
  },
];

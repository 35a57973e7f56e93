/**
 * The regions this installation offers (ECSIMG_REGIONS). A region is a namespace of resources;
 * its local names follow the cloud's for the well-known IDs, and fall back to the ID otherwise.
 */
import { EcsError } from '../errors/index.js';

const NAMES: Record<string, { zh: string; en: string }> = {
  'cn-hangzhou': { zh: '华东1（杭州）', en: 'China (Hangzhou)' },
  'cn-shanghai': { zh: '华东2（上海）', en: 'China (Shanghai)' },
  'cn-beijing': { zh: '华北2（北京）', en: 'China (Beijing)' },
  'cn-shenzhen': { zh: '华南1（深圳）', en: 'China (Shenzhen)' },
  'cn-qingdao': { zh: '华北1（青岛）', en: 'China (Qingdao)' },
  'cn-zhangjiakou': { zh: '华北3（张家口）', en: 'China (Zhangjiakou)' },
  'cn-hongkong': { zh: '中国香港', en: 'China (Hong Kong)' },
  'ap-southeast-1': { zh: '新加坡', en: 'Singapore' },
  'ap-northeast-1': { zh: '日本（东京）', en: 'Japan (Tokyo)' },
  'us-west-1': { zh: '美国（硅谷）', en: 'US (Silicon Valley)' },
  'us-east-1': { zh: '美国（弗吉尼亚）', en: 'US (Virginia)' },
  'eu-central-1': { zh: '德国（法兰克福）', en: 'Germany (Frankfurt)' },
  'eu-west-1': { zh: '英国（伦敦）', en: 'UK (London)' },
};

export interface RegionView {
  RegionId: string;
  LocalName: string;
  RegionEndpoint: string;
  Status: 'available';
}

export class RegionCatalogue {
  private readonly ids: Set<string>;

  constructor(readonly regionIds: string[]) {
    this.ids = new Set(regionIds);
  }

  has(regionId: string): boolean {
    return this.ids.has(regionId);
  }

  /** Throws the cloud's code when the region is not configured here. */
  require(regionId: string): void {
    if (!this.ids.has(regionId)) throw new EcsError('InvalidRegionId.NotFound', { regionId });
  }

  /** `acceptLanguage` as DescribeRegions takes it: zh-CN (default), en-US, and others → English. */
  describe(acceptLanguage = 'zh-CN'): RegionView[] {
    const chinese = acceptLanguage.toLowerCase().startsWith('zh');
    return this.regionIds.map((id) => ({
      RegionId: id,
      LocalName: NAMES[id] ? (chinese ? NAMES[id].zh : NAMES[id].en) : id,
      RegionEndpoint: `ecs.${id}.aliyuncs.com`,
      Status: 'available',
    }));
  }
}

import { defineAction } from '../../context.js';
import { declareAction } from '../spec.js';

export const DescribeRegionsSpec = declareAction({
  name: 'DescribeRegions',
  resource: 'region',
  summary: { en: 'List the regions this server offers.', zh: '查询本服务提供的地域列表。' },
  regional: false,
  params: {
    AcceptLanguage: {
      type: 'string',
      enum: ['zh-CN', 'zh-TW', 'en-US', 'ja', 'fr', 'de', 'ko'],
      default: 'zh-CN',
      description: 'Language of LocalName.',
    },
    InstanceChargeType: {
      type: 'string',
      enum: ['PrePaid', 'PostPaid', 'SpotWithPriceLimit', 'SpotAsPriceGo'],
      default: 'PostPaid',
    },
    ResourceType: {
      type: 'string',
      enum: ['instance', 'disk', 'reservedinstance', 'scu'],
      default: 'instance',
    },
  },
});

// Charge type and resource type narrow the list on the cloud; every configured region offers
// every resource here, so they are validated and otherwise have no effect.
export const REGION_ACTIONS = [
  defineAction(DescribeRegionsSpec, async (ctx, params) => ({
    Regions: { Region: ctx.services.regions.describe(params.AcceptLanguage) },
  })),
];

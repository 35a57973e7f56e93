import { e, type ErrorTable } from './types.js';

/** Codes of the tag API (TagResources, UntagResources, ListTagResources) and of Tag.N filters. */
export const TAG_ERRORS = {
  'NumberExceed.ResourceIds': e(
    400,
    ['Too many resource IDs in {name}: {reason}.', '{name} 中的资源 ID 过多：{reason}。'],
    [
      'ResourceId.N has more entries than the action accepts.',
      'ResourceId.N 的数量超出了该操作的上限。',
    ],
    ['Split the resources across several calls.', '请分多次调用。'],
  ),
  'NumberExceed.Tags': e(
    400,
    ['Too many tags in {name}: {reason}.', '{name} 中的标签过多：{reason}。'],
    [
      'Tag.N or TagKey.N has more entries than the action accepts.',
      'Tag.N 或 TagKey.N 的数量超出了该操作的上限。',
    ],
    ['Send at most 20 tags per call.', '每次最多传入 20 个标签。'],
  ),
  'NumberExceed.TagValues': e(
    403,
    ['Too many values in {name}: {reason}.', '{name} 中的取值过多：{reason}。'],
    [
      'TagFilter.N.TagValues.N accepts a limited number of values.',
      'TagFilter.N.TagValues.N 可传入的取值数量有限。',
    ],
    ['Send at most 5 values per key.', '每个键最多传入 5 个取值。'],
  ),
  'InvalidTagKey.Malformed': e(
    400,
    ['The tag key in {name} is not valid: {reason}.', '{name} 中的标签键无效：{reason}。'],
    [
      'A tag key is 1-128 characters, must not start with "aliyun" or "acs:", and must not ' +
        'contain "http://" or "https://".',
      '标签键长度为 1-128 个字符，不能以 aliyun 或 acs: 开头，不能包含 http:// 或 https://。',
    ],
    ['Correct the key.', '请修正标签键。'],
  ),
  'InvalidTagValue.Malformed': e(
    400,
    ['The tag value in {name} is not valid: {reason}.', '{name} 中的标签值无效：{reason}。'],
    [
      'A tag value is at most 128 characters (it may be empty), must not start with "acs:" ' +
        'and must not contain "http://" or "https://".',
      '标签值最长 128 个字符（可以为空），不能以 acs: 开头，不能包含 http:// 或 https://。',
    ],
    ['Correct the value.', '请修正标签值。'],
  ),
  'TagKey.Duplication': e(
    403,
    ['The tag key "{key}" appears more than once.', '标签键“{key}”重复出现。'],
    [
      'Tag keys in one call must differ (compared without regard to case).',
      '一次调用中的标签键不能重复（不区分大小写）。',
    ],
    ['Send each key once.', '每个标签键只传一次。'],
  ),
  'QuotaExceed.Tags': e(
    403,
    [
      'The resource "{resourceId}" would carry more than {limit} tags.',
      '资源“{resourceId}”的标签将超过 {limit} 个。',
    ],
    ['A resource carries at most 20 tags.', '每个资源最多绑定 20 个标签。'],
    ['Remove tags with UntagResources first.', '请先通过 UntagResources 解绑部分标签。'],
  ),
  'InvalidTag.Mismatch': e(
    400,
    [
      'Tag.{index}.Value was given without Tag.{index}.Key.',
      '传入了 Tag.{index}.Value 但没有 Tag.{index}.Key。',
    ],
    ['Every tag value needs its key.', '每个标签值都需要对应的标签键。'],
    ['Add the key, or drop the value.', '请补上标签键，或去掉该标签值。'],
  ),
  InvalidTagCount: e(
    400,
    ['Too many tags in {name}: {reason}.', '{name} 中的标签过多：{reason}。'],
    ['Tag.N filters accept at most 20 tags.', 'Tag.N 过滤最多支持 20 个标签。'],
    ['Filter with fewer tags.', '请减少过滤标签的数量。'],
  ),
  'InvalidParameter.TagValue': e(
    400,
    [
      'Tag.{index}.Value was given without Tag.{index}.Key.',
      '传入了 Tag.{index}.Value 但没有 Tag.{index}.Key。',
    ],
    [
      'ListTagResources needs a key for every tag value it filters on.',
      'ListTagResources 按标签值过滤时需要对应的标签键。',
    ],
    ['Add the key, or drop the value.', '请补上标签键，或去掉该标签值。'],
  ),
  'InvalidTagFilter.Malformed': e(
    403,
    ['The tag filter is not valid: {reason}.', '标签过滤条件无效：{reason}。'],
    [
      'TagFilter.N needs a TagKey; at most 5 filters; it cannot be combined with Tag.N.',
      'TagFilter.N 需要 TagKey；最多 5 个；不能与 Tag.N 同时使用。',
    ],
    ['Correct the filter.', '请修正过滤条件。'],
  ),
  'BothEmpty.TagsAndResources': e(
    403,
    [
      'Give ResourceId.N, Tag.N or TagFilter.N.',
      '请至少传入 ResourceId.N、Tag.N 或 TagFilter.N 之一。',
    ],
    [
      'ListTagResources does not list every tag of every resource.',
      'ListTagResources 不支持不加条件地列出全部资源的标签。',
    ],
    ['Name the resources or the tags to look for.', '请指定要查询的资源或标签。'],
  ),
  'Invalid.NextToken': e(
    403,
    ['The NextToken is not valid.', 'NextToken 无效。'],
    [
      'The token was not returned by this query, or it was altered.',
      '该令牌不是本查询返回的，或已被修改。',
    ],
    [
      'Start again without NextToken and pass the token each page returns.',
      '请不带 NextToken 重新查询，并使用每页返回的令牌。',
    ],
  ),
  'Param.Conflict': e(
    403,
    ['All=true cannot be combined with TagKey.N.', 'All=true 不能与 TagKey.N 同时使用。'],
    [
      'All removes every tag; TagKey.N names the tags to remove.',
      'All 表示解绑全部标签，TagKey.N 指定要解绑的标签。',
    ],
    ['Send one of them.', '请二选一。'],
  ),
  'MissingParameter.ResourceIds': e(
    404,
    ['ResourceId.N is required.', '缺少 ResourceId.N。'],
    ['The action needs at least one resource ID.', '该操作至少需要一个资源 ID。'],
    ['Add ResourceId.1.', '请传入 ResourceId.1。'],
  ),
  'MissingParameter.ResourceType': e(
    404,
    ['ResourceType is required.', '缺少 ResourceType。'],
    ['The action needs the type of the resources.', '该操作需要资源类型。'],
    ['Add ResourceType (for example image).', '请传入 ResourceType（例如 image）。'],
  ),
  'MissingParameter.Tags': e(
    404,
    ['Tag.N is required.', '缺少 Tag.N。'],
    ['TagResources needs at least one tag.', 'TagResources 至少需要一个标签。'],
    ['Add Tag.1.Key and Tag.1.Value.', '请传入 Tag.1.Key 和 Tag.1.Value。'],
  ),
  'InvalidResourceType.NotFound': e(
    404,
    [
      'The resource type "{resourceType}" is not supported here.',
      '本服务不支持资源类型“{resourceType}”。',
    ],
    [
      'ecsimg tags the resource types it manages (image, and others as they are added); the ' +
        "cloud's other types are not kept here.",
      'ecsimg 只为自身管理的资源类型（image，以及陆续加入的类型）提供标签；云上的其他资源类型不在本服务中。',
    ],
    ['Use ResourceType=image.', '请使用 ResourceType=image。'],
  ),
  'InvalidResourceId.NotFound': e(
    404,
    [
      'The resource "{resourceId}" does not exist in this region.',
      '本地域不存在资源“{resourceId}”。',
    ],
    [
      'The ID is wrong, the resource is in another region or account, or it was deleted.',
      'ID 有误、资源位于其他地域或账号，或已被删除。',
    ],
    ['Check the ID and the region.', '请检查资源 ID 和地域。'],
  ),
  'InvalidResourceId.NotSupported': e(
    403,
    ['The resource "{resourceId}" cannot be tagged.', '资源“{resourceId}”不支持绑定标签。'],
    [
      'System, Marketplace and community images are not yours to tag.',
      '系统镜像、云市场镜像和社区镜像不能由您绑定标签。',
    ],
    ['Tag your own images only.', '只能为自己的镜像绑定标签。'],
  ),
} satisfies ErrorTable;

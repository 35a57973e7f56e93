/**
 * Response shapes the console reads, as the ECS SDK models name them
 * (node_modules/@alicloud/ecs20140526/dist/models/*.d.ts). Only the fields the console uses.
 */
export interface Tag {
  TagKey: string;
  TagValue?: string;
}

export interface DiskDeviceMapping {
  Device?: string;
  Type?: 'system' | 'data' | string;
  Size?: string;
  Format?: string;
  Encrypted?: boolean;
  SnapshotId?: string;
  ImportOSSBucket?: string;
  ImportOSSObject?: string;
  Progress?: string;
}

export interface Image {
  ImageId: string;
  ImageName?: string;
  Description?: string;
  ImageFamily?: string;
  Status: string;
  Progress?: string;
  OSType?: string;
  OSName?: string;
  OSNameEn?: string;
  Platform?: string;
  Architecture?: string;
  BootMode?: string;
  Size?: number;
  CreationTime?: string;
  ImageOwnerAlias?: string;
  ImageOwnerId?: number;
  IsPublic?: boolean;
  /** A string in the SDK model ("true"/"false"), a boolean in some samples. */
  IsSelfShared?: string | boolean;
  IsCopied?: boolean;
  Usage?: string;
  DiskDeviceMappings?: { DiskDeviceMapping?: DiskDeviceMapping[] };
  Tags?: { Tag?: Tag[] };
}

export interface DescribeImagesBody {
  Images: { Image: Image[] };
  TotalCount: number;
  PageNumber: number;
  PageSize: number;
}

export interface TaskSummary {
  TaskId: string;
  TaskAction: string;
  TaskStatus: string;
  SupportCancel?: string;
  CreationTime?: string;
  FinishedTime?: string;
  ResourceId?: string;
}

export interface DescribeTasksBody {
  TaskSet: { Task: TaskSummary[] };
  TotalCount: number;
  PageNumber: number;
  PageSize: number;
}

export interface TaskAttribute extends TaskSummary {
  TaskProcess?: string;
  OperationProgressSet?: {
    OperationProgress?: Array<{
      OperationStatus?: string;
      ErrorCode?: string;
      ErrorMsg?: string;
      RelatedItemSet?: { RelatedItem?: Array<{ Name: string; Value: string }> };
    }>;
  };
}

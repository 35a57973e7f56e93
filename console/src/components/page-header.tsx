import { Flex, Typography } from 'antd';
import type { ReactNode } from 'react';

/** Page title (the only h1 of the page), a one-line explanation and the page's main actions. */
export function PageHeader(props: { title: ReactNode; subtitle?: ReactNode; extra?: ReactNode }) {
  return (
    <Flex align="flex-start" justify="space-between" gap={16} style={{ marginBottom: 16 }}>
      <div>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {props.title}
        </Typography.Title>
        {props.subtitle && (
          <Typography.Text type="secondary" style={{ display: 'block', marginTop: 4 }}>
            {props.subtitle}
          </Typography.Text>
        )}
      </div>
      {props.extra && <Flex gap={8}>{props.extra}</Flex>}
    </Flex>
  );
}

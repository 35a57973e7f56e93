/**
 * RAM-style policy evaluation for RAM users: statements with Effect Allow/Deny, Action and
 * Resource patterns with `*` and `?` wildcards. An explicit Deny wins; no matching Allow denies.
 * Actions are written `ecs:DescribeImages`; resources `acs:ecs:<region>:<account>:image/<id>`
 * (or `*`). Like RAM, matching is case-insensitive for actions and case-sensitive for resources.
 */
import { z } from 'zod';

const stringOrList = z.union([z.string(), z.array(z.string()).min(1)]);

export const policyDocumentSchema = z.object({
  Version: z.string().optional(),
  Statement: z
    .array(
      z.object({
        Effect: z.enum(['Allow', 'Deny']),
        Action: stringOrList,
        Resource: stringOrList.default('*'),
      }),
    )
    .min(1),
});

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;

function wildcard(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

function matchesAny(patterns: string | string[], value: string, flags: string): boolean {
  return (Array.isArray(patterns) ? patterns : [patterns]).some((p) =>
    wildcard(p, flags).test(value),
  );
}

/**
 * @example
 *   isAllowed([{ Statement: [{ Effect: 'Allow', Action: 'ecs:Describe*', Resource: '*' }] }],
 *     'ecs:DescribeImages', 'acs:ecs:cn-hangzhou:1234567890123456:image/*') // → true
 */
export function isAllowed(policies: PolicyDocument[], action: string, resource: string): boolean {
  let allowed = false;
  for (const policy of policies) {
    for (const st of policy.Statement) {
      if (!matchesAny(st.Action, action, 'i') || !matchesAny(st.Resource, resource, '')) continue;
      if (st.Effect === 'Deny') return false;
      allowed = true;
    }
  }
  return allowed;
}

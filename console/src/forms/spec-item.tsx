/**
 * A form field whose validation comes from the action's declaration on the server.
 *
 * The field lists its rules under the input before the user types ("2–128 characters", "must not
 * start with aliyun, acs:") and, when a value breaks one, says which rule and which error code the
 * API would answer, linked to the troubleshooting page — before anything is sent.
 */
import { Form, type FormItemProps } from 'antd';
import type { Rule } from 'antd/es/form/index.js';
import { useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useSpecs } from '../api/specs.js';
import { troubleshootingHref } from '../components/error-notice.js';
import {
  checkScalar,
  describePattern,
  describeRules,
  findParam,
  possibleViolations,
  sameViolation,
  type RuleText,
  type ScalarParam,
  type Violation,
} from './spec-rules.js';

/** Puts `{letters}`-style tokens of pattern descriptions into words of the current language. */
export function useRuleText(): (rule: RuleText) => string {
  const { t } = useTranslation();
  return (rule) => {
    const values = { ...(rule.values ?? {}) };
    if (typeof values.chars === 'string') {
      values.chars = values.chars
        .split(' ')
        .map((w) => (/^\{\w+\}$/.test(w) ? t(`rules.chars.${w.slice(1, -1)}`) : w))
        .join(t(rule.key === 'startsWith' ? 'rules.chars.or' : 'rules.chars.separator'));
    }
    return t(`rules.${rule.key}`, values);
  };
}

function ViolationMessage({ violation }: { violation: Violation }) {
  const ruleText = useRuleText();
  const { t } = useTranslation();
  // A broken pattern is explained in words when it has the usual shape, not as a regex.
  const pattern = violation.key === 'pattern' ? String(violation.values?.pattern ?? '') : '';
  const words = pattern ? describePattern(pattern) : [];
  const text =
    words.length && words[0].key !== 'pattern'
      ? t('rules.patternBroken', { rules: words.map(ruleText).join(t('rules.join')) })
      : ruleText(violation);
  return (
    <span data-testid="rule-violation">
      {text}{' '}
      <a href={troubleshootingHref(violation.code)} title={t('rules.whatCode')}>
        ({violation.code})
      </a>
    </span>
  );
}

/** Turns a form value into the text that would go on the wire. */
function wireText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value);
}

/** antd rules for one declared parameter: one validator per rule, each with its own message. */
export function rulesFor(spec: ScalarParam, required?: boolean): Rule[] {
  const effective = required ? { ...spec, required: true } : spec;
  return possibleViolations(effective).map((violation) => ({
    validator: async (_rule: unknown, value: unknown) => {
      if (sameViolation(checkScalar(effective, wireText(value)), violation))
        throw new Error(violation.key);
    },
    message: <ViolationMessage violation={violation} />,
  }));
}

export interface SpecItemProps extends Omit<FormItemProps, 'rules'> {
  /** Action whose declaration holds the rules, e.g. `ModifyImageAttribute`. */
  action: string;
  /** Parameter path: `ImageName`, `DiskDeviceMapping.DiskImageSize`. */
  param: string;
  /** Required here even if optional on the wire (e.g. a rename needs a name). */
  required?: boolean;
  /** Extra rules in words, for checks the server makes beyond the declaration. */
  moreRules?: ReactNode[];
  /** The input offers the allowed values itself (a select): do not list them again. */
  listed?: boolean;
}

export function SpecItem(props: SpecItemProps) {
  const { action, param, required, moreRules, listed, children, ...item } = props;
  const specs = useSpecs();
  const ruleText = useRuleText();
  const spec = specs?.get(action) && findParam(specs.get(action)!.params, param);
  const scalar =
    spec && spec.type !== 'list' && spec.type !== 'objectList' && spec.type !== 'object'
      ? spec
      : undefined;

  const rules = useMemo(() => (scalar ? rulesFor(scalar, required) : []), [scalar, required]);
  const described = spec ? describeRules(spec).filter((r) => !(listed && r.key === 'oneOf')) : [];
  const words = [...described.map(ruleText), ...(moreRules ?? [])];

  return (
    <Form.Item
      {...item}
      required={required || scalar?.required}
      rules={rules}
      extra={
        words.length > 0 ? (
          <ul className="ecsimg-rules" data-testid={`rules-${param}`}>
            {words.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        ) : (
          item.extra
        )
      }
    >
      {children}
    </Form.Item>
  );
}

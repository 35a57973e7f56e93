/**
 * Action declarations: each action's wire parameters, written once as data.
 *
 * The same declaration validates requests here, prints `ecsimg <Action> --help`, and is served at
 * `/api/actions` for the console's forms, so the three cannot drift. Keep it plain data (no
 * functions): a rule that needs logic gets a name in `rules` and its check in the decoder.
 */

interface ParamBase {
  /** Absent (or an empty value) is refused with MissingParameter (or `missingCode`). */
  required?: boolean;
  description?: string;
  /** Accepted on the wire but not implemented: present → InvalidParameter, never silently ignored. */
  unsupported?: boolean;
  /** Code for a bad value instead of InvalidParameter (e.g. InvalidImageName.Malformed). */
  invalidCode?: string;
  /** Code for a missing value instead of MissingParameter. */
  missingCode?: string;
}

export interface StringParam extends ParamBase {
  type: 'string';
  default?: string;
  enum?: readonly string[];
  /** Compare enum values ignoring case; the decoded value is the declared spelling. */
  caseInsensitive?: boolean;
  minLength?: number;
  maxLength?: number;
  /** A JavaScript regular expression source the whole value must match. */
  pattern?: string;
  /** Refused when the value starts with one of these (case-insensitive). */
  forbidPrefixes?: readonly string[];
  /** Refused when the value contains one of these (case-insensitive). */
  forbidSubstrings?: readonly string[];
  /** Only ASCII characters allowed. */
  ascii?: boolean;
  /** Keep an empty string as a value (tag values may be empty). */
  allowEmpty?: boolean;
}

export interface IntegerParam extends ParamBase {
  type: 'integer';
  default?: number;
  min?: number;
  max?: number;
}

export interface BooleanParam extends ParamBase {
  type: 'boolean';
  default?: boolean;
}

export type ScalarParam = StringParam | IntegerParam | BooleanParam;

/** `Name.1`, `Name.2` … (1-based). */
export interface ListParam extends ParamBase {
  type: 'list';
  of: ScalarParam;
  /** Most entries allowed. */
  max?: number;
  /** Entries beyond `max`: refused (default, with `tooManyCode`) or silently dropped as the cloud does. */
  overflow?: 'error' | 'ignore';
  tooManyCode?: string;
}

/** `Name.1.Field`, `Name.1.Other` … (1-based list of objects). */
export interface ObjectListParam extends ParamBase {
  type: 'objectList';
  fields: Record<string, ScalarParam | ListParam>;
  max?: number;
  overflow?: 'error' | 'ignore';
  tooManyCode?: string;
}

/** `Name.Field` (a single nested object, e.g. `Features.ImdsSupport`). */
export interface ObjectParam extends ParamBase {
  type: 'object';
  fields: Record<string, ScalarParam>;
}

export type ParamSpec = ScalarParam | ListParam | ObjectListParam | ObjectParam;

export interface ActionSpec {
  name: string;
  summary: { en: string; zh: string };
  /** Resource group the action belongs to (console menus, CLI help). */
  resource: string;
  /** Takes RegionId (required unless `regionOptional`) and checks it names a configured region. */
  regional: boolean;
  regionOptional?: boolean;
  /** Accepts DryRun=true: validate, authorize, then answer DryRunOperation. */
  dryRun?: boolean;
  /**
   * The code of a successful dry run where the cloud documents another than `DryRunOperation`
   * (ImportImage: `DRYRUN.SUCCESS`).
   */
  dryRunCode?: 'DRYRUN.SUCCESS';
  /** The administrator alone may call it. */
  adminOnly?: boolean;
  params: Record<string, ParamSpec>;
}

type InferScalar<S> = S extends { type: 'string' }
  ? string
  : S extends { type: 'integer' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : never;

type InferParam<S> = S extends { type: 'list'; of: infer O }
  ? InferScalar<O>[]
  : S extends { type: 'objectList'; fields: infer F }
    ? Array<InferFields<F>>
    : S extends { type: 'object'; fields: infer F }
      ? InferFields<F>
      : InferScalar<S>;

type IsPresent<S> = S extends { required: true }
  ? true
  : S extends { default: unknown }
    ? true
    : false;

type InferFields<F> = {
  [K in keyof F as IsPresent<F[K]> extends true ? K : never]: InferParam<F[K]>;
} & {
  [K in keyof F as IsPresent<F[K]> extends true ? never : K]?: InferParam<F[K]>;
};

/** The decoded parameters of an action, typed from its declaration. */
export type DecodedParams<A extends { params: Record<string, ParamSpec> }> = InferFields<
  A['params']
> & { RegionId: string; DryRun?: boolean };

/** Declares an action, keeping the literal types for `DecodedParams`. */
export function declareAction<const A extends ActionSpec>(spec: A): A {
  return spec;
}

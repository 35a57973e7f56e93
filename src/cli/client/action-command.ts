/**
 * `ecsimg <Action> --Param value …`: calls any action the way the aliyun CLI does.
 *
 *   ecsimg DescribeImages --RegionId cn-hangzhou --ImageOwnerAlias self
 *   ecsimg ModifyImageSharePermission --ImageId m-1 --AddAccount 1111 2222   (or --AddAccount.1 …)
 *   ecsimg DescribeImages --Tag.1.Key env --Tag.1.Value dev
 *
 * Commander cannot take arbitrary `--Param` options, so action invocations (a PascalCase first
 * word) are parsed here. Wire parameters are PascalCase; the client's own options are lower-case
 * (`--endpoint`, `--region` …), which is how the two are told apart.
 */
import { ACTIONS_BY_NAME } from '../../api/actions/index.js';
import type { ActionSpec } from '../../api/actions/spec.js';
import { CliError, EXIT, type CliIo } from '../io.js';
import { actionHelp } from './action-help.js';
import { connect, DEFAULT_REGION, parseLang, type ClientFlags } from './connection.js';
import { withApiErrors } from './failure.js';
import { findProfile } from './profiles.js';

const ACTION_NAME = /^[A-Z][A-Za-z0-9]*$/;
const PARAM_NAME = /^[A-Z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;

/** The client's own options, by their flag spelling. */
const CLIENT_FLAGS: Record<string, keyof ClientFlags> = {
  endpoint: 'endpoint',
  'api-key': 'apiKey',
  'access-key-id': 'accessKeyId',
  'access-key-secret': 'accessKeySecret',
  'data-dir': 'dataDir',
  profile: 'profile',
  region: 'region',
  lang: 'lang',
};

/** The declarations the CLI knows (the server's own list; tests pass their own). */
export type ActionCatalogue = ReadonlyMap<string, { spec: ActionSpec }>;

export function isActionInvocation(argv: readonly string[]): boolean {
  return argv.length > 0 && ACTION_NAME.test(argv[0]);
}

export interface ActionInvocation {
  action: string;
  /** Flat wire parameters, list values already numbered. */
  params: Record<string, string>;
  flags: ClientFlags;
  help: boolean;
  /** Top-level names the local declaration does not know (typos, or a newer server). */
  unknownParams: string[];
}

function usage(message: string, action: string): CliError {
  return new CliError(message, EXIT.usage, `\`ecsimg ${action} --help\` lists the parameters`);
}

/** Splits `--Name=value` / `--Name v1 v2` tokens into (name, values). */
function readOptions(argv: readonly string[], action: string) {
  const options: Array<{ name: string; values: string[] }> = [];
  let i = 0;
  while (i < argv.length) {
    const token = argv[i];
    if (token === '-h') {
      options.push({ name: 'help', values: [] });
      i++;
      continue;
    }
    if (!token.startsWith('--') || token === '--') {
      throw usage(`unexpected argument "${token}" (parameters are written --Name value)`, action);
    }

    const eq = token.indexOf('=');
    if (eq > 0) {
      options.push({ name: token.slice(2, eq), values: [token.slice(eq + 1)] });
      i++;
      continue;
    }
    const values: string[] = [];
    i++;
    while (i < argv.length && !argv[i].startsWith('--')) values.push(argv[i++]);
    options.push({ name: token.slice(2), values });
  }
  return options;
}

function isBoolean(spec: ActionSpec | undefined, name: string): boolean {
  if (name === 'DryRun') return true;
  const param = spec?.params[name];
  return param?.type === 'boolean';
}

/** How a bare name with several values is numbered: declared lists, or unknown names. */
function isList(spec: ActionSpec | undefined, name: string): boolean {
  if (name.includes('.')) return false;
  const param = spec?.params[name];
  if (param) return param.type === 'list';
  return true;
}

/**
 * @example
 *   parseActionInvocation(['ModifyImageSharePermission', '--AddAccount', '1', '2'])
 *   // → params { 'AddAccount.1': '1', 'AddAccount.2': '2' }
 */
export function parseActionInvocation(
  argv: readonly string[],
  actions: ActionCatalogue = ACTIONS_BY_NAME,
): ActionInvocation {
  const [action, ...rest] = argv;
  const spec = actions.get(action)?.spec;
  const result: ActionInvocation = {
    action,
    params: {},
    flags: {},
    help: false,
    unknownParams: [],
  };

  const setParam = (key: string, value: string) => {
    if (key in result.params) throw usage(`--${key} is given twice`, action);
    result.params[key] = value;
  };

  for (const { name, values } of readOptions(rest, action)) {
    if (name === 'help') {
      result.help = true;
      continue;
    }

    const clientFlag = CLIENT_FLAGS[name];
    if (clientFlag) {
      if (values.length !== 1) throw usage(`--${name} takes exactly one value`, action);
      result.flags[clientFlag] = values[0];
      continue;
    }
    if (!PARAM_NAME.test(name)) {
      throw usage(
        `unknown option --${name} (wire parameters are PascalCase, e.g. --RegionId)`,
        action,
      );
    }

    const top = name.split('.')[0];
    const declared = !spec || top === 'RegionId' || top === 'DryRun' || top in spec.params;
    if (!declared && !result.unknownParams.includes(top)) result.unknownParams.push(top);

    if (values.length === 0) {
      if (!isBoolean(spec, name)) throw usage(`--${name} needs a value`, action);
      setParam(name, 'true');
    } else if (isList(spec, name) && (values.length > 1 || spec?.params[name]?.type === 'list')) {
      values.forEach((value, index) => setParam(`${name}.${index + 1}`, value));
    } else if (values.length > 1) {
      throw usage(
        `--${name} takes one value, got ${values.length} (quote values with spaces)`,
        action,
      );
    } else {
      setParam(name, values[0]);
    }
  }
  return result;
}

/** Runs an action invocation; resolves to the exit code. */
export async function runActionCommand(
  argv: readonly string[],
  io: CliIo,
  actions: ActionCatalogue = ACTIONS_BY_NAME,
): Promise<number> {
  const invocation = parseActionInvocation(argv, actions);
  const spec = actions.get(invocation.action)?.spec;

  if (invocation.help) {
    if (!spec) {
      throw new CliError(
        `this version of ecsimg does not know the action ${invocation.action}`,
        EXIT.usage,
        '`ecsimg actions` lists the actions it knows',
      );
    }
    const lang = parseLang(invocation.flags.lang, io.env);
    const region =
      invocation.flags.region ??
      io.env.ECSIMG_REGION ??
      findProfile(io.env, invocation.flags.profile).profile?.region ??
      DEFAULT_REGION;
    io.stdout.write(actionHelp(spec, lang, region));
    return EXIT.ok;
  }

  const connection = connect(io, invocation.flags);
  if (spec?.regional && invocation.params.RegionId === undefined) {
    invocation.params.RegionId = connection.region;
  }
  for (const name of invocation.unknownParams) {
    io.stderr.write(
      `note: ${invocation.action} declares no parameter ${name}; the server will ignore it\n`,
    );
  }

  const body = await withApiErrors(connection.lang, () =>
    connection.client.callAction(invocation.action, invocation.params),
  );
  io.stdout.write(JSON.stringify(body, null, 2) + '\n');
  return EXIT.ok;
}

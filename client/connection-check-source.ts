/**
 * The source's checks of `connections check`: it answers (ping), its login is accepted, a first page
 * lists and how many of a sample map cleanly (the domain's mappers), and the order path answers (a
 * find of an order code no channel sends). Made from this machine; an Omni source this machine does
 * not reach is asked through its agent, which can tell only whether it answers.
 */
import { AuthenticationError, createSourceConnector, SYSTEM_LABEL, TransientError, type SourceConnector } from '../connectors';
import { DomainValidationError, mapProductForSource, type Connection } from '../domain';
import { resolveSecrets } from '../config/config';
import { fail, pass, skipped, type CheckLine } from './connection-check-lines';

/** The order code the check looks for: no channel sends it, so the find must answer "none". */
export const CHECK_ORDER_CODE = 'S2S-ENGINE-CHECK-0';
/** How many records of the first page are mapped. */
const SAMPLE = 20;

/** Whether the agent reached the source: true or false, or a line saying why it could not be asked. */
export type AgentProbe = (whyNotHere: string) => Promise<boolean | CheckLine>;

export interface SourceCheckOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Asks the connection's agent (a confined Omni agent); undefined where there is none to ask. */
  throughAgent?: AgentProbe;
}

export interface SourceChecks {
  from: 'this machine' | 'its agent' | 'nowhere';
  checks: CheckLine[];
}

const NAMES = { answers: 'source answers', login: 'source login', page: 'first page', orders: 'order path' } as const;

function credentialVariables(connection: Connection): string {
  const names =
    connection.sourceKind === 'omni'
      ? [connection.credentialsRef.omniUser, connection.credentialsRef.omniPassword, connection.credentialsRef.companyName]
      : [connection.credentialsRef.username, connection.credentialsRef.password];
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

const notMade = (why: string, todo?: string) => [NAMES.login, NAMES.page, NAMES.orders].map((name) => skipped(name, `not checked: ${why}`, todo));

export async function checkSource(connection: Connection, options: SourceCheckOptions): Promise<SourceChecks> {
  const label = SYSTEM_LABEL[connection.sourceKind];
  let source: SourceConnector<unknown>;
  try {
    source = createSourceConnector(connection, resolveSecrets(connection, options.env), { timeoutMs: options.timeoutMs }) as SourceConnector<unknown>;
  } catch (error) {
    const why = error instanceof DomainValidationError ? error.reason : (error as Error).message;
    return {
      from: 'nowhere',
      checks: [
        skipped(NAMES.answers, 'not checked without its login'),
        fail(NAMES.login, why, `set ${credentialVariables(connection)} in this environment (the connection names them in credentialsRef)`),
        ...notMade('no login').slice(1),
      ],
    };
  }
  const started = Date.now();
  try {
    await source.ping();
  } catch (error) {
    if (error instanceof AuthenticationError) {
      return {
        from: 'this machine',
        checks: [
          pass(NAMES.answers, `${label} answered (${Date.now() - started} ms)`),
          fail(NAMES.login, error.message, `set ${credentialVariables(connection)} to a login ${label} accepts`),
          ...notMade('the login was refused').slice(1),
        ],
      };
    }
    const unreachable = error instanceof TransientError && error.sourceUnreachable;
    if (unreachable && options.throughAgent) return agentChecks(connection, (error as Error).message, options.throughAgent);
    const todo = unreachable
      ? `check ${connection.endpoint}, that ${label} runs, and that this machine may reach it${connection.sourceKind === 'omni' ? ' (an Omni source is often reachable from its agent only: run this check there)' : ''}`
      : `${label} answered, but not as it should: see its logs`;
    return { from: 'this machine', checks: [fail(NAMES.answers, (error as Error).message, todo), ...notMade('the source did not answer')] };
  }
  return {
    from: 'this machine',
    checks: [
      pass(NAMES.answers, `${label} answered (${Date.now() - started} ms)`),
      pass(NAMES.login, `${label} accepted the login in ${credentialVariables(connection)}`),
      await checkFirstPage(connection, source),
      await checkOrderPath(connection, source),
    ],
  };
}

async function checkFirstPage(connection: Connection, source: SourceConnector<unknown>): Promise<CheckLine> {
  let records: Record<string, unknown>[];
  try {
    records = (await source.listProducts(null, Math.min(connection.pageSize, SAMPLE))).records;
  } catch (error) {
    return fail(NAMES.page, (error as Error).message, 'the product listing must answer before a sync can run');
  }
  if (records.length === 0) return pass(NAMES.page, 'listed, and the source holds no product yet');
  const context = { sourceId: connection.stock2shop.sourceId, syncToken: 'check', fetchToken: 'check' };
  const results = records.map((record) => mapProductForSource(connection.sourceKind, record, context));
  const invalid = results.filter((result) => result.outcome === 'invalid');
  const counted = `${records.length} product(s) listed; ${records.length - invalid.length} of ${records.length} map cleanly`;
  const first = invalid[0];
  if (!first) return pass(NAMES.page, counted);
  const example = `${counted} (first that does not: ${first.code} ${first.field}: ${first.reason})`;
  if (invalid.length < records.length) return pass(NAMES.page, `${example}; a sync reports such records as problems`);
  return fail(NAMES.page, example, "none of the sample maps: check the source's fields against README, Numbers");
}

async function checkOrderPath(connection: Connection, source: SourceConnector<unknown>): Promise<CheckLine> {
  const label = SYSTEM_LABEL[connection.sourceKind];
  try {
    const found = await source.findOrder(CHECK_ORDER_CODE);
    if (found === null) return pass(NAMES.orders, `a find of order ${CHECK_ORDER_CODE}, which no channel sends, answered: none`);
    return fail(
      NAMES.orders,
      `a find of order ${CHECK_ORDER_CODE}, which no channel sends, answered document ${found.sourceOrderCode}`,
      `${label} does not find orders by their code: orders would be taken for raised; check the connection's order path`,
    );
  } catch (error) {
    return fail(NAMES.orders, (error as Error).message, `orders cannot be raised until ${label}'s order path answers a find`);
  }
}

/** This machine does not reach the source: its agent's probe says whether it answers; the rest is the agent's machine's to check. */
async function agentChecks(connection: Connection, whyNotHere: string, probe: AgentProbe): Promise<SourceChecks> {
  const label = SYSTEM_LABEL[connection.sourceKind];
  const answered = await probe(whyNotHere);
  if (typeof answered !== 'boolean') return { from: 'nowhere', checks: [answered, ...notMade('the source does not answer this machine')] };
  const onAgent = `run \`npm run cli -- connections check ${connection.id}\` on the agent's machine, with its environment`;
  if (!answered) {
    return {
      from: 'its agent',
      checks: [
        fail(NAMES.answers, `neither this machine (${whyNotHere}) nor its agent reaches ${label}`, `check that ${label} runs on the client's server`),
        ...notMade('the source does not answer'),
      ],
    };
  }
  return {
    from: 'its agent',
    checks: [
      pass(NAMES.answers, `${label} answered its agent's probe (a ping and a find); this machine does not reach it (${whyNotHere})`),
      ...notMade(`only its agent reaches ${label}`, onAgent),
    ],
  };
}

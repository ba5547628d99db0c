/**
 * Prepares a Temporal namespace for the engine, once per namespace (and again after an upgrade that
 * adds a search attribute): registers the project's search attributes and sets the workflow execution
 * retention. Idempotent: it reads first and changes only what differs.
 *
 * The embedded dev server (`npm start`) gets this at every start; a self-hosted cluster or Temporal
 * Cloud gets it from `npm run cli -- setup`. Temporal Cloud does not let a client change the retention
 * (and may refuse search attributes): there it says what to run instead (tcld or the Cloud UI).
 */
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType, type SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { projectSearchAttributes } from '../contracts/search-attributes';

/** How long a closed order's workflow id is remembered by default: the longest redelivery window (README, "Orders: exactly once"). */
export const DEFAULT_RETENTION_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** gRPC status codes (google.rpc.Code) the setup tells apart. */
const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16 } as const;

export interface SetupOptions {
  namespace: string;
  /** The workflow execution retention, in whole days, at least 1 (the dev server's minimum). */
  retentionDays: number;
  /**
   * Whether the namespace is on Temporal Cloud (retention is then set with tcld or the Cloud UI, not
   * through UpdateNamespace). Default: guessed from the connection's address (`*.tmprl.cloud`, `*.api.temporal.io`).
   */
  cloud?: boolean;
  /** The attributes to register; default the project's. */
  searchAttributes?: readonly SearchAttributeKey<SearchAttributeType>[];
}

export type SearchAttributeOutcome = 'added' | 'present' | 'wrong-type' | 'not-added';
export type RetentionOutcome = 'set' | 'unchanged' | 'not-set';

export interface SetupReport {
  namespace: string;
  cloud: boolean;
  searchAttributes: { name: string; type: string; outcome: SearchAttributeOutcome; foundType?: string }[];
  retention: { days: number; previousDays: number | undefined; outcome: RetentionOutcome };
  /** Whether this run changed anything (false on a second run). */
  changed: boolean;
  /** What is still wrong, each saying what to do instead; empty when the namespace is ready. */
  problems: string[];
}

/** A mistake in the options (e.g. a retention of 0 days): nothing was asked of Temporal. */
export class SetupOptionsError extends Error {
  override readonly name = 'SetupOptionsError';
}

/** The namespace is not ready and the setup could not make it so; `message` (one problem a line) says what to do. */
export class NamespaceSetupError extends Error {
  override readonly name = 'NamespaceSetupError';
  constructor(
    readonly namespace: string,
    readonly problems: string[],
    /** What the setup did and found before it stopped; absent when it could not even read the namespace. */
    readonly report?: SetupReport,
  ) {
    super(`Namespace '${namespace}' is not ready:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  }
}

/** Parses a retention given as text (a flag or TEMPORAL_RETENTION_DAYS): a whole number of days, at least 1. */
export function parseRetentionDays(text: string | undefined, source = '--retention-days'): number {
  if (text === undefined || text.trim() === '') return DEFAULT_RETENTION_DAYS;
  const trimmed = text.trim();
  const days = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(days) || days < 1) {
    throw new SetupOptionsError(`${source} must be a whole number of days, at least 1 (got '${text}'), e.g. ${DEFAULT_RETENTION_DAYS}`);
  }
  return days;
}

export function validateSetupOptions(options: SetupOptions): void {
  if (typeof options.namespace !== 'string' || options.namespace.trim() === '') {
    throw new SetupOptionsError('The namespace must be named (TEMPORAL_NAMESPACE)');
  }
  const days = options.retentionDays;
  if (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1) {
    throw new SetupOptionsError(`The retention must be a whole number of days, at least 1 (got ${String(days)}), e.g. ${DEFAULT_RETENTION_DAYS}`);
  }
}

/** Temporal Cloud's endpoints: `<namespace>.<account>.tmprl.cloud:7233` (mTLS) and `<region>.<cloud>.api.temporal.io:7233` (API keys). */
export function isTemporalCloudAddress(address: string | undefined): boolean {
  const host = (address ?? '').replace(/:\d+$/, '').toLowerCase();
  return host.endsWith('.tmprl.cloud') || host.endsWith('.api.temporal.io');
}

/** "Keyword", "KeywordList": the spelling of the Temporal CLI, tcld and the Web UI. */
function typeName(type: SearchAttributeType): string {
  return TypedSearchAttributes.toMetadataType(type);
}

function indexedTypeName(value: temporal.api.enums.v1.IndexedValueType | string | null | undefined): string {
  const enumName = typeof value === 'string' ? value : temporal.api.enums.v1.IndexedValueType[value ?? 0];
  const type = enumName ? TypedSearchAttributes.toSearchAttributeType(enumName) : undefined;
  return type ? typeName(type) : String(enumName ?? value);
}

/** A protobuf Duration in milliseconds (its seconds may be a Long or a number). */
function durationMs(duration: { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined): number | undefined {
  if (!duration) return undefined;
  return Number(String(duration.seconds ?? 0)) * 1000 + Math.round((duration.nanos ?? 0) / 1e6);
}

/**
 * An operator-service call with the `temporal-namespace` header, which Temporal Cloud's regional
 * (API key) endpoints route by; the SDK adds it to workflow-service calls only.
 */
function onNamespace<T>(connection: Connection, namespace: string, call: (operator: Connection['operatorService']) => Promise<T>): Promise<T> {
  return connection.withMetadata({ 'temporal-namespace': namespace }, () => call(connection.operatorService));
}

function grpcCode(error: unknown): number | undefined {
  return isGrpcServiceError(error) ? error.code : undefined;
}

function grpcDetail(error: unknown): string {
  if (isGrpcServiceError(error)) return error.details || error.message;
  return error instanceof Error ? error.message : String(error);
}

const refused = (error: unknown) => grpcCode(error) === GRPC.PERMISSION_DENIED || grpcCode(error) === GRPC.UNIMPLEMENTED;

function searchAttributeInstruction(namespace: string, cloud: boolean, keys: { name: string; type: string }[]): string {
  const names = keys.map((k) => `${k.name} (${k.type})`).join(', ');
  if (cloud) {
    const flags = keys.map((k) => `--search-attribute "${k.name}=${k.type}"`).join(' ');
    return (
      `search attribute(s) ${names} could not be added by this client: on Temporal Cloud add them with ` +
      `\`tcld namespace search-attributes add --namespace ${namespace} ${flags}\`, or in the Cloud UI (Namespaces → ${namespace} → Edit → ` +
      `Custom Search Attributes: ${keys.map((k) => `${k.name} of type ${k.type}`).join(', ')}), then run setup again`
    );
  }
  return (
    `search attribute(s) ${names} could not be added with this client's permissions: ask an administrator of the cluster to run ` +
    keys.map((k) => `\`temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type ${k.type}\``).join(' and ') +
    ', then run setup again'
  );
}

function retentionInstruction(namespace: string, cloud: boolean, days: number, previousDays: number | undefined): string {
  const now = previousDays === undefined ? '' : ` (it is ${formatDays(previousDays)})`;
  if (cloud) {
    return (
      `the retention must be ${days} days${now}, and Temporal Cloud does not let a client change it: run ` +
      `\`tcld namespace retention set --namespace ${namespace} --retention-days ${days}\`, or in the Cloud UI (Namespaces → ${namespace} → Edit) ` +
      `set the Retention Period to ${days} days`
    );
  }
  return (
    `the retention must be ${days} days${now}, and this client may not change it: ask an administrator of the cluster to run ` +
    `\`temporal operator namespace update --namespace ${namespace} --retention ${days * 24}h\``
  );
}

export function formatDays(days: number): string {
  if (Number.isInteger(days)) return `${days} day${days === 1 ? '' : 's'}`;
  const hours = days * 24;
  return Number.isInteger(hours) ? `${hours} hours` : `${days.toFixed(2)} days`;
}

/**
 * Registers the project's search attributes on the namespace (only those missing) and sets its
 * workflow execution retention (only when it differs). Returns what it changed and found already
 * right; throws NamespaceSetupError, after doing all it could, when something is still wrong (an
 * attribute of another type, a refusal by Temporal Cloud or by the cluster's authorizer), naming
 * exactly what to run instead.
 */
export async function setupNamespace(connection: Connection, options: SetupOptions): Promise<SetupReport> {
  validateSetupOptions(options);
  const namespace = options.namespace.trim();
  const wanted = options.searchAttributes ?? projectSearchAttributes;
  const cloud = options.cloud ?? isTemporalCloudAddress(connection.options.address);
  const report: SetupReport = {
    namespace,
    cloud,
    searchAttributes: [],
    retention: { days: options.retentionDays, previousDays: undefined, outcome: 'unchanged' },
    changed: false,
    problems: [],
  };

  // The namespace first: a wrong name or a missing permission is said once, plainly.
  let described: temporal.api.workflowservice.v1.IDescribeNamespaceResponse;
  try {
    described = await connection.workflowService.describeNamespace({ namespace });
  } catch (error) {
    const code = grpcCode(error);
    if (code === GRPC.NOT_FOUND) {
      throw new NamespaceSetupError(namespace, [
        `it does not exist on ${connection.options.address}: create it first (self-hosted: \`temporal operator namespace create --namespace ${namespace} ` +
          `--retention ${options.retentionDays * 24}h\`; Temporal Cloud: \`tcld namespace create\` or the Cloud UI), or set TEMPORAL_NAMESPACE`,
      ]);
    }
    if (code === GRPC.PERMISSION_DENIED || code === GRPC.UNAUTHENTICATED) {
      throw new NamespaceSetupError(namespace, [
        `this client may not read it (${grpcDetail(error)}): check TEMPORAL_API_KEY or TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY, and that they grant access to '${namespace}'`,
      ]);
    }
    throw error;
  }

  await setupSearchAttributes(connection, namespace, wanted, report);
  await setupRetention(connection, namespace, described, report);

  if (report.problems.length > 0) throw new NamespaceSetupError(namespace, report.problems, report);
  return report;
}

async function setupSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: readonly SearchAttributeKey<SearchAttributeType>[],
  report: SetupReport,
): Promise<void> {
  const { cloud } = report;
  let existing: Map<string, string> | undefined;
  try {
    const listed = await onNamespace(connection, namespace, (operator) => operator.listSearchAttributes({ namespace }));
    existing = new Map<string, string>();
    for (const [name, type] of Object.entries(listed.systemAttributes ?? {})) existing.set(name, indexedTypeName(type));
    for (const [name, type] of Object.entries(listed.customAttributes ?? {})) existing.set(name, indexedTypeName(type));
  } catch (error) {
    if (!refused(error)) throw error;
    // Not allowed to look: try to add them all; an attribute already there answers ALREADY_EXISTS.
  }

  const missing: SearchAttributeKey<SearchAttributeType>[] = [];
  for (const key of wanted) {
    const type = typeName(key.type);
    const found = existing?.get(key.name);
    if (found === undefined) {
      missing.push(key);
    } else if (found === type) {
      report.searchAttributes.push({ name: key.name, type, outcome: 'present' });
    } else {
      report.searchAttributes.push({ name: key.name, type, outcome: 'wrong-type', foundType: found });
      report.problems.push(
        `search attribute ${key.name} exists as ${found}, but the engine needs ${type}: a search attribute's type cannot be changed. ` +
          (cloud
            ? `Use another namespace, or ask Temporal Cloud support to remove ${key.name}, then run setup again`
            : `Remove it (\`temporal operator search-attribute remove --namespace ${namespace} --name ${key.name}\`; the values of existing ` +
              `workflows are lost from search) and run setup again, or use another namespace`),
      );
    }
  }
  if (missing.length === 0) return;

  try {
    await onNamespace(connection, namespace, (operator) =>
      operator.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
      }),
    );
    for (const key of missing) report.searchAttributes.push({ name: key.name, type: typeName(key.type), outcome: 'added' });
    report.changed = true;
    await waitUntilListed(connection, namespace, missing);
  } catch (error) {
    if (grpcCode(error) === GRPC.ALREADY_EXISTS && existing === undefined) {
      // Could not list, and at least one is there already: add them one by one to tell which.
      for (const key of missing) await addOne(connection, namespace, key, report);
      return;
    }
    if (refused(error)) {
      for (const key of missing) report.searchAttributes.push({ name: key.name, type: typeName(key.type), outcome: 'not-added' });
      report.problems.push(
        searchAttributeInstruction(
          namespace,
          cloud,
          missing.map((k) => ({ name: k.name, type: typeName(k.type) })),
        ),
      );
      return;
    }
    throw new Error(`Adding the search attributes ${missing.map((k) => k.name).join(', ')} to '${namespace}' failed: ${grpcDetail(error)}`);
  }
}

async function addOne(connection: Connection, namespace: string, key: SearchAttributeKey<SearchAttributeType>, report: SetupReport): Promise<void> {
  const type = typeName(key.type);
  try {
    await onNamespace(connection, namespace, (operator) =>
      operator.addSearchAttributes({ namespace, searchAttributes: { [key.name]: encodeSearchAttributeIndexedValueType(key.type)! } }),
    );
    report.searchAttributes.push({ name: key.name, type, outcome: 'added' });
    report.changed = true;
  } catch (error) {
    if (grpcCode(error) === GRPC.ALREADY_EXISTS) {
      // Its type cannot be read without listing; the first workflow start using it would say if it differs.
      report.searchAttributes.push({ name: key.name, type, outcome: 'present' });
    } else if (refused(error)) {
      report.searchAttributes.push({ name: key.name, type, outcome: 'not-added' });
      report.problems.push(searchAttributeInstruction(namespace, report.cloud, [{ name: key.name, type }]));
    } else {
      throw error;
    }
  }
}

/** An attribute added is listed at once on the dev server; a cluster with Elasticsearch may take a moment. */
async function waitUntilListed(connection: Connection, namespace: string, keys: SearchAttributeKey<SearchAttributeType>[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listed = await onNamespace(connection, namespace, (operator) => operator.listSearchAttributes({ namespace })).catch(() => undefined);
    if (!listed) return; // not allowed to list: nothing to wait on
    const custom = listed.customAttributes ?? {};
    if (keys.every((key) => key.name in custom)) return;
    if (Date.now() > deadline) {
      throw new Error(`The search attributes ${keys.map((k) => k.name).join(', ')} were added to '${namespace}' but are not listed after 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function setupRetention(
  connection: Connection,
  namespace: string,
  described: temporal.api.workflowservice.v1.IDescribeNamespaceResponse,
  report: SetupReport,
): Promise<void> {
  const days = report.retention.days;
  const currentMs = durationMs(described.config?.workflowExecutionRetentionTtl);
  const previousDays = currentMs === undefined ? undefined : currentMs / DAY_MS;
  report.retention.previousDays = previousDays;
  if (currentMs === days * DAY_MS) return;

  if (report.cloud) {
    report.retention.outcome = 'not-set';
    report.problems.push(retentionInstruction(namespace, true, days, previousDays));
    return;
  }
  try {
    // Only the retention is set: the other fields of a partial config are left as they are.
    await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: msToTs(days * DAY_MS) } });
  } catch (error) {
    if (refused(error)) {
      report.retention.outcome = 'not-set';
      report.problems.push(retentionInstruction(namespace, false, days, previousDays));
      return;
    }
    if (grpcCode(error) === GRPC.INVALID_ARGUMENT) {
      report.retention.outcome = 'not-set';
      report.problems.push(`the cluster refused a retention of ${days} days: ${grpcDetail(error)}. Choose another --retention-days (TEMPORAL_RETENTION_DAYS)`);
      return;
    }
    throw new Error(`Setting the retention of '${namespace}' to ${days} days failed: ${grpcDetail(error)}`);
  }
  report.retention.outcome = 'set';
  report.changed = true;
}

/** The report in plain lines, for the CLI and `npm start`. */
export function describeSetupReport(report: SetupReport): string[] {
  const lines: string[] = [];
  for (const attribute of report.searchAttributes) {
    const what = `search attribute ${attribute.name} (${attribute.type})`;
    if (attribute.outcome === 'added') lines.push(`${what}: added`);
    else if (attribute.outcome === 'present') lines.push(`${what}: already present`);
    else if (attribute.outcome === 'wrong-type') lines.push(`${what}: exists as ${attribute.foundType}, NOT usable`);
    else lines.push(`${what}: NOT added`);
  }
  const { days, previousDays, outcome } = report.retention;
  if (outcome === 'set') lines.push(`retention: set to ${formatDays(days)} (was ${previousDays === undefined ? 'unset' : formatDays(previousDays)})`);
  else if (outcome === 'unchanged') lines.push(`retention: already ${formatDays(days)}`);
  else lines.push(`retention: NOT set to ${formatDays(days)} (is ${previousDays === undefined ? 'unset' : formatDays(previousDays)})`);
  lines.push(
    report.problems.length > 0
      ? `namespace ${report.namespace}: NOT ready (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'})`
      : `namespace ${report.namespace}: ready${report.changed ? '' : ', nothing changed'}`,
  );
  return lines;
}

/** `setupNamespace` over a connection of its own to `address`, closed afterwards (for `npm start` and its dev server). */
export async function setupNamespaceAt(address: string, options: SetupOptions): Promise<SetupReport> {
  validateSetupOptions(options);
  const connection = await Connection.connect({ address });
  try {
    return await setupNamespace(connection, options);
  } finally {
    await connection.close();
  }
}

/** The retention in a few words, e.g. "retention 30 days (set now, was 1 day)", for `npm start`'s line. */
export function describeRetention(report: SetupReport): string {
  const { days, previousDays, outcome } = report.retention;
  const was = previousDays === undefined ? 'unset' : formatDays(previousDays);
  if (outcome === 'set') return `retention ${formatDays(days)} (set now, was ${was})`;
  if (outcome === 'unchanged') return `retention ${formatDays(days)}`;
  return `retention NOT ${formatDays(days)} (is ${was})`;
}

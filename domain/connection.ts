/**
 * A client connection: which source (iSync or Omni Accounts), where it is, where its secrets are
 * (names of environment variables, never the secrets), Stock2Shop's settings for it, and how often
 * and how hard we may call it.
 */
import { z } from 'zod';
import { DomainValidationError, firstProblem } from './validation';
import { NumberLikeSchema, OptionalTextSchema } from './values';
import { connectionTaskQueue } from './task-queues';
import { escapeOrderCode } from './order-code';
import { Stock2ShopOrderContractSchema } from './stock2shop-order-contract';

export const SourceKindSchema = z.enum(['omni', 'isync']);
export type SourceKind = z.infer<typeof SourceKindSchema>;

/** A connection id: lower-case letters, digits and single hyphens (it appears in task queues and workflow ids). */
export const ConnectionIdSchema = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'must be a slug: lower-case letters, digits and hyphens' });

/** The NAME of an environment variable that holds a secret, e.g. `ACME_OMNI_PASSWORD`. */
export const EnvironmentVariableNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
  error: 'must be the name of an environment variable (upper-case letters, digits, _), never the secret itself',
});

/** iSync needs a username (or email) and a password. */
export const ISyncCredentialsRefSchema = z.object({
  username: EnvironmentVariableNameSchema,
  password: EnvironmentVariableNameSchema,
});
export type ISyncCredentialsRef = z.infer<typeof ISyncCredentialsRefSchema>;

/** Omni Accounts needs its database name, company name, a read-only database user, and an Omni user. */
export const OmniCredentialsRefSchema = z.object({
  databaseName: EnvironmentVariableNameSchema,
  companyName: EnvironmentVariableNameSchema,
  databaseUser: EnvironmentVariableNameSchema,
  databasePassword: EnvironmentVariableNameSchema,
  omniUser: EnvironmentVariableNameSchema,
  omniPassword: EnvironmentVariableNameSchema,
});
export type OmniCredentialsRef = z.infer<typeof OmniCredentialsRefSchema>;

/**
 * Stock2Shop's secrets of one source: the API user this connection logs in as (`username`, `password`;
 * its tokens are ephemeral and renewed: docs/deploy.md says which users a deployment needs), or a
 * fixed `token` (it cannot be renewed: when it expires a person must act), and the shared secret that
 * signs Stock2Shop's webhook calls for this source (without one, the webhook refuses every call for
 * the source; the poll still works).
 */
export const Stock2ShopCredentialsRefSchema = z
  .object({
    username: EnvironmentVariableNameSchema.optional(),
    password: EnvironmentVariableNameSchema.optional(),
    token: EnvironmentVariableNameSchema.optional(),
    webhookSecret: EnvironmentVariableNameSchema.optional(),
  })
  .refine((ref) => (ref.username === undefined) === (ref.password === undefined), { error: 'names username and password together' })
  .refine((ref) => ref.username !== undefined || ref.token !== undefined, {
    error: 'names no Stock2Shop credentials: username and password (renewed), or token (fixed)',
  });
export type Stock2ShopCredentialsRef = z.infer<typeof Stock2ShopCredentialsRefSchema>;

/** A yes/no setting: a boolean, or "true"/"false" (any case) as Stock2Shop's settings store them. */
const BooleanSettingSchema = z
  .union([z.boolean(), z.enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'])])
  .transform((value) => (typeof value === 'boolean' ? value : value.toLowerCase() === 'true'));

/** A tax code setting: defaults to "0" as in Stock2Shop. */
const TaxCodeSettingSchema = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === undefined || value === null ? '0' : String(value).trim()));

/** Stock2Shop's settings for a source, under Stock2Shop's own keys. Blank texts count as not set. */
export const ConnectionSettingsSchema = z.object({
  /** Customer account used when the order names none for this source. */
  param_default_customer_code: OptionalTextSchema,
  /** Omni: the warehouse id orders are raised against. */
  param_warehouse_code: OptionalTextSchema,
  /** The product code of the service item that carries the shipping charge. */
  param_shipping_code: OptionalTextSchema,
  /** Omni: VAT code of taxed lines. */
  param_default_tax_code: TaxCodeSettingSchema,
  /** Omni: VAT code of lines without tax. */
  param_default_tax_code_exempt: TaxCodeSettingSchema,
  /** Omni: VAT code of the shipping line. */
  param_default_tax_code_shipping: TaxCodeSettingSchema,
  /** Omni: also use the channel order code as the document number. */
  param_use_channel_order_code: BooleanSettingSchema.default(false),
  /** Omni: the sales rep's name. */
  param_rep_code: OptionalTextSchema,
  /** iSync: whether order lines name their item by SKU (`ProductStockID`) or by barcode (`ThirdPartyBarcode`). */
  param_order_line_item: z.enum(['ProductStockID', 'ThirdPartyBarcode']).default('ProductStockID'),
  /** iSync: the line type id of the shipping line. */
  shipping_cn_type_id: NumberLikeSchema.pipe(z.number().int().positive()).default(4),
  /** Whether orders are raised into this source at all. */
  create_order: BooleanSettingSchema.default(true),
});
export type ConnectionSettings = z.infer<typeof ConnectionSettingsSchema>;
export type ConnectionSettingsInput = z.input<typeof ConnectionSettingsSchema>;

export const RequestLimitsSchema = z.object({
  maxConcurrent: z.number().int().positive().default(4),
  perSecond: z.number().positive().default(20),
});

/**
 * Alerts of a connection (activities/alerts.ts): where they go and when. The webhook URL is a secret (a
 * Slack webhook URL carries its token): the connection names the environment variable that holds it;
 * without one, `ALERT_WEBHOOK_URL` is used, and without that no alert is sent.
 */
export const AlertSettingsSchema = z.object({
  /** The NAME of the environment variable holding this connection's alert webhook URL (default: ALERT_WEBHOOK_URL). */
  webhookUrlRef: EnvironmentVariableNameSchema.optional(),
  /** A source that has not answered the source watch's probes for this long is alerted (fractions allowed). */
  sourceDownMinutes: z.number().positive().default(10),
  /** After this many product passes in a row failed, the product-sync schedule is paused (0: never). */
  pauseAfterFailedPasses: z.number().int().min(0).default(5),
});
export type AlertSettings = z.infer<typeof AlertSettingsSchema>;

const commonConnectionFields = {
  id: ConnectionIdSchema,
  name: z.string().trim().min(1),
  /** Omni: the OmniWebServiceREST base URL (e.g. http://127.0.0.1:8080); iSync: the message service URL. */
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  settings: ConnectionSettingsSchema.prefault({}),
  stock2shop: z.object({
    /** Stock2Shop's id of this source: `source.source_id` of pushed products, `sources[].source_id` of orders. */
    sourceId: NumberLikeSchema.pipe(z.number().int().positive()),
    credentialsRef: Stock2ShopCredentialsRefSchema,
    /** The Stock2Shop account (client) this source is of: its sources share one rate limit. Default: the API user (or token). */
    account: z.string().min(1).max(200).optional(),
    /** The account's requests per second, all processes together (Stock2Shop's is about 3). */
    requestsPerSecond: z.number().positive().max(1000).default(3),
    /** The order side's paths and field names, as agreed with Stock2Shop (docs/stock2shop-contract.md); absent: today's. */
    orderContract: Stock2ShopOrderContractSchema.optional(),
  }),
  /** Days an order keeps being retried through transient failures before it is given up. */
  orderRetryDays: z.number().positive().default(3),
  /**
   * After a create whose answer never came, how long the source may take to commit it: the next try
   * is a find after this delay, and a create only if the find is sure there is none.
   */
  createCommitDelaySeconds: z.number().min(0).default(60),
  /**
   * While the source is unreachable, orders wait in their workflows and one probe per connection runs
   * this often; the first probe that gets an answer wakes them all.
   */
  sourceProbeSeconds: z.number().positive().default(5),
  /** A page of a product sync that keeps failing gives up after this long, and the pass fails with the reason. */
  pageRetryMinutes: z.number().positive().default(60),
  /** A whole product pass (across continue-as-new) is stopped after this long, so a stuck pass never blocks its schedule. */
  passTimeoutMinutes: z.number().positive().default(360),
  /** What to do with products that vanished from the source: report them, or push them inactive. */
  removedProducts: z.enum(['report', 'deactivate']).default('report'),
  requestLimits: RequestLimitsSchema.prefault({}),
  alerts: AlertSettingsSchema.prefault({}),
};

export const OmniConnectionSchema = z.object({
  ...commonConnectionFields,
  sourceKind: z.literal('omni'),
  credentialsRef: OmniCredentialsRefSchema,
  /** Stock2Shop pulls Omni every 3 minutes. */
  syncIntervalMinutes: z.number().int().positive().default(3),
  pageSize: z.number().int().min(1).max(1000).default(1000),
  /**
   * The client's own Temporal namespace and Nexus endpoint, where its agent is confined (docs/security.md);
   * `{}` takes `client-<id>` for both. Absent: the agent polls its queue in the central namespace (the layout before).
   */
  agent: z
    .object({
      namespace: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, { error: 'must be a Temporal namespace name' })
        .optional(),
      endpoint: z
        .string()
        .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,198}[a-zA-Z0-9]$/, { error: 'must be a Nexus endpoint name: letters, digits and hyphens' })
        .optional(),
    })
    .strict()
    .optional(),
});

export const ISyncConnectionSchema = z.object({
  ...commonConnectionFields,
  sourceKind: z.literal('isync'),
  credentialsRef: ISyncCredentialsRefSchema,
  /** Stock2Shop pulls iSync hourly. */
  syncIntervalMinutes: z.number().int().positive().default(60),
  pageSize: z.number().int().min(1).max(500).default(100),
});

export const ConnectionSchema = z.discriminatedUnion('sourceKind', [OmniConnectionSchema, ISyncConnectionSchema]);
export type Connection = z.infer<typeof ConnectionSchema>;
export type ConnectionInput = z.input<typeof ConnectionSchema>;
export type OmniConnection = z.infer<typeof OmniConnectionSchema>;
export type ISyncConnection = z.infer<typeof ISyncConnectionSchema>;

/** Validates a connection; throws `DomainValidationError` (`Connection acme: endpoint: must be an http(s) URL`). */
export function parseConnection(input: unknown): Connection {
  const result = ConnectionSchema.safeParse(input);
  if (result.success) return result.data;
  const id = (input as { id?: unknown } | null)?.id;
  const { field, reason } = firstProblem(result.error, input);
  throw new DomainValidationError({
    recordType: 'Connection',
    record: typeof id === 'string' && id !== '' ? id : '(no id)',
    field,
    reason,
  });
}

export { CENTRAL_TASK_QUEUE, connectionTaskQueue, ISYNC_TASK_QUEUE } from './task-queues';

/** `product-sync/<connectionId>`: the Temporal Schedule that starts product syncs. */
export function productSyncScheduleId(connectionId: string): string {
  return `product-sync/${connectionId}`;
}

/**
 * `product-sync/<connectionId>`: the product sync workflow id (the schedule's action uses it and
 * Temporal appends the start time; a manual run uses it as is, so two manual runs cannot overlap).
 */
export function productSyncWorkflowId(connectionId: string): string {
  return `product-sync/${connectionId}`;
}

/** `product-sync/<connectionId>/manual`: a pass started by hand (`cli sync run`); one at a time. */
export function manualProductSyncWorkflowId(connectionId: string): string {
  return `product-sync/${connectionId}/manual`;
}

/** `source-watch/<connectionId>`: probes a source that is down, and wakes the orders waiting for it. */
export function sourceWatchWorkflowId(connectionId: string): string {
  return `source-watch/${connectionId}`;
}

/**
 * `raise-order/<connectionId>/<channel_order_code>`: one workflow per order, so a duplicate delivery is
 * never a second order. The code as `escapeOrderCode` shows it: a valid code as it is, any other
 * without a control, bidi or invisible character, `/` or `\` (and still one id per code).
 */
export function raiseOrderWorkflowId(connectionId: string, channelOrderCode: string): string {
  return `raise-order/${connectionId}/${escapeOrderCode(channelOrderCode)}`;
}

/**
 * The run in a confined agent's namespace that backs one request of the central side:
 * `agent-raise/<connectionId>/<order code>`, `agent-pages/<connectionId>/<pass>/<first page>`, … (the connection second, as everywhere).
 */
export function agentCallWorkflowId(call: 'raise' | 'pages' | 'reconcile' | 'probe', connectionId: string, ...rest: string[]): string {
  return [`agent-${call}`, connectionId, ...rest].join('/');
}

/** `late-delivery/<connectionId>/<channel_order_code>`: an order delivered after its workflow closed (a change after the raise, a terminated run). */
export function lateDeliveryWorkflowId(connectionId: string, channelOrderCode: string): string {
  return `late-delivery/${connectionId}/${escapeOrderCode(channelOrderCode)}`;
}

/** The start time Temporal appends to the workflow id of a scheduled run (`-2026-12-03T11:00:00Z`). */
const SCHEDULED_SUFFIX = /-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * The connection a workflow id belongs to (`<kind>/<connectionId>[/…]`, a scheduled run's start time
 * removed), or undefined for a workflow of no connection: whose payload key ring encrypts its payloads.
 */
export function connectionOfWorkflowId(workflowId: string): string | undefined {
  const [kind, segment] = workflowId.split('/');
  if (kind === undefined || segment === undefined) return undefined;
  const id = segment.replace(SCHEDULED_SUFFIX, '');
  return ConnectionIdSchema.safeParse(id).success ? id : undefined;
}

/** Where a confined agent lives: its client's namespace, the Nexus endpoint the central workflows call, its task queue there. */
export interface AgentPlacement {
  namespace: string;
  endpoint: string;
  taskQueue: string;
}

/** The placement of a connection's confined agent; undefined for iSync and for an agent still in the central namespace. */
export function agentPlacement(
  connection: Pick<Connection, 'id' | 'sourceKind'> & { agent?: { namespace?: string; endpoint?: string } | undefined },
): AgentPlacement | undefined {
  if (connection.sourceKind !== 'omni' || connection.agent === undefined) return undefined;
  return {
    namespace: connection.agent.namespace ?? `client-${connection.id}`,
    endpoint: connection.agent.endpoint ?? `client-${connection.id}`,
    taskQueue: connectionTaskQueue(connection),
  };
}

/** Why a connection runs no on-site agent (only Omni Accounts connections do), or undefined when it does. */
export function agentRefusal(connection: Pick<Connection, 'id' | 'sourceKind'>): string | undefined {
  return connection.sourceKind === 'omni'
    ? undefined
    : `Connection '${connection.id}' is ${connection.sourceKind}: only Omni Accounts connections run an agent`;
}

/** The Stock2Shop account a connection's calls count against (its rate limit is the account's, shared). */
export function stock2shopAccountOf(connection: Pick<Connection, 'stock2shop'>): string {
  const { account, credentialsRef } = connection.stock2shop;
  return account ?? credentialsRef.username ?? credentialsRef.token ?? '';
}

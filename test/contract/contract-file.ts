/**
 * The order contract with Stock2Shop (contracts/stock2shop-orders.openapi.yaml), loaded for the contract tests
 * with kept OpenAPI 3.1 tools: openapi-backend routes a request to its operation and validates requests and
 * responses, its schemas compiled as JSON Schema 2020-12 (Ajv2020), after @seriousme/openapi-schema-validator
 * has read the file, checked it against the OpenAPI 3.1 schema and resolved its references. Only tests read it.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { Validator } from '@seriousme/openapi-schema-validator';
import OpenAPIBackend, { type Document as AnyDocument, type Operation } from 'openapi-backend';

export const CONTRACT_FILE = resolve(__dirname, '..', '..', 'contracts', 'stock2shop-orders.openapi.yaml');

/** Where the contract's paths live under a base URL (its `servers` entry ends in `/v1`). */
export const API_ROOT = '/v1';

/** The parts of the (dereferenced) document the tests read. */
export interface MediaType {
  schema?: object;
  examples?: Record<string, { value?: unknown }>;
}
export interface ContractOperation {
  operationId?: string;
  parameters?: { name: string; in: string; schema?: object; example?: unknown }[];
  requestBody?: { content: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
}
type Document = Extract<AnyDocument, { webhooks?: unknown }> & {
  webhooks?: Record<string, { post?: ContractOperation }>;
  components?: { securitySchemes?: Record<string, { type?: string; in?: string; name?: string }> };
};

export interface Contract {
  api: OpenAPIBackend<Document>;
  /** The dereferenced document. */
  document: Document;
  /** The query parameter that carries the token (the security scheme's `name`). */
  tokenParameter: string;
  /** The operations under `paths`, by operationId. */
  operations: Map<string, Operation<Document>>;
  /** A JSON Schema 2020-12 validator over the same document (for the webhook, which no router serves). */
  ajv: Ajv2020;
}

let loaded: Promise<Contract> | undefined;

/** The contract, loaded once per test file. */
export function loadContract(): Promise<Contract> {
  loaded ??= (async () => {
    const validator = new Validator();
    const checked = await validator.validate(CONTRACT_FILE);
    assert.ok(checked.valid, `the contract is not valid OpenAPI: ${JSON.stringify(checked.errors)}`);
    assert.equal(validator.version, '3.1');
    const api = new OpenAPIBackend<Document>({
      definition: validator.resolveRefs() as Document,
      apiRoot: API_ROOT,
      strict: true,
      // Already checked as OpenAPI 3.1 above (openapi-backend's own check is 3.0's, which quick mode skips).
      quick: true,
      customizeAjv: (_original, options) => new Ajv2020({ ...options, strict: false }) as never,
    });
    await api.init();
    const document = api.definition;
    const scheme = document.components?.securitySchemes?.token;
    assert.ok(scheme?.type === 'apiKey' && scheme.in === 'query' && scheme.name, 'the token is an apiKey in the query');
    const operations = new Map(api.getOperations().map((operation) => [operation.operationId!, operation]));
    return { api, document, tokenParameter: scheme.name, operations, ajv: new Ajv2020({ strict: false, allErrors: true }) };
  })();
  return loaded;
}

export function operation(contract: Contract, operationId: string): Operation<Document> & ContractOperation {
  const found = contract.operations.get(operationId);
  assert.ok(found, `the contract has an operation ${operationId}`);
  return found as Operation<Document> & ContractOperation;
}

/** The JSON media type of a response of an operation (or webhook operation), by status. */
export function responseMedia(op: ContractOperation, status: string): MediaType | undefined {
  const response = op.responses?.[status];
  assert.ok(response, `${op.operationId} answers ${status}`);
  return response.content?.['application/json'];
}

/** The value of a named example of a media type (or its first). */
export function exampleOf(media: MediaType | undefined, name?: string): unknown {
  const examples = media?.examples;
  assert.ok(examples && Object.keys(examples).length > 0, 'the media type has examples');
  const chosen = name === undefined ? Object.values(examples)[0] : examples[name];
  assert.ok(chosen, `example ${name ?? '(first)'}`);
  return structuredClone(chosen.value);
}

/** Every example value of a media type, by name. */
export function examplesOf(media: MediaType | undefined): [string, unknown][] {
  return Object.entries(media?.examples ?? {}).map(([name, example]) => [name, structuredClone(example.value)]);
}

/** The request body example of an operation (its first). */
export function requestExample(op: ContractOperation, name?: string): unknown {
  return exampleOf(op.requestBody?.content['application/json'], name);
}

/** The example of a parameter of an operation, by name. */
export function parameterExample(op: ContractOperation, name: string): unknown {
  const parameter = op.parameters?.find((p) => p.name === name);
  assert.ok(parameter && parameter.example !== undefined, `${op.operationId} has an example of ${name}`);
  return parameter.example;
}

/** Asserts a validation result, naming what failed. */
export function assertValid(result: { valid: boolean; errors?: unknown }, what: string): void {
  assert.ok(result.valid, `${what} does not match the contract: ${JSON.stringify(result.errors, null, 1)}`);
}

/** Command-line plumbing of the simulators' main.ts files. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { messageOf, type SimulatorControls } from './server';

export interface CliOption {
  type: 'string' | 'boolean';
  description: string;
}

export type CliValues = Record<string, string | boolean | undefined>;

const COMMON_OPTIONS: Record<string, CliOption> = {
  port: { type: 'string', description: 'port to listen on (0 picks a free one)' },
  host: { type: 'string', description: 'address to listen on (default 127.0.0.1)' },
  seed: { type: 'string', description: 'seed of the generated data and fault draws (default 1)' },
  help: { type: 'boolean', description: 'show this help' },
};

/** Parses argv; prints usage and exits on --help or on a wrong option. */
export function parseCli(command: string, options: Record<string, CliOption>, argv = process.argv.slice(2)): CliValues {
  const all = { ...COMMON_OPTIONS, ...options };
  const usage = () =>
    [
      `usage: ${command} [options]`,
      ...Object.entries(all).map(([name, option]) => `  --${name}${option.type === 'string' ? ' <value>' : ''}  ${option.description}`),
    ].join('\n');
  try {
    const { values } = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(all).map(([name, option]) => [name, { type: option.type }])),
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${usage()}\n`);
      process.exit(0);
    }
    return values as CliValues;
  } catch (error) {
    process.stderr.write(`${messageOf(error)}\n${usage()}\n`);
    process.exit(2);
  }
}

export function stringArg(values: CliValues, name: string, fallback: string): string {
  const value = values[name];
  return typeof value === 'string' ? value : fallback;
}

export function numberArg(values: CliValues, name: string, fallback: number): number {
  const value = values[name];
  if (typeof value !== 'string') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number)) fail(`--${name} must be a number, got ${value}`);
  return number;
}

export function listArg(values: CliValues, name: string): string[] | undefined {
  const value = values[name];
  return typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
    : undefined;
}

/** `--items 5000` generates that many; `--items catalog.json` loads a JSON array of records. */
export function itemsArg<T>(values: CliValues, fallback: number): number | T[] {
  const value = values.items;
  if (typeof value !== 'string') return fallback;
  if (/^\d+$/.test(value)) return Number(value);
  try {
    const records = JSON.parse(readFileSync(value, 'utf8')) as unknown;
    if (!Array.isArray(records)) fail(`${value} must hold a JSON array of records`);
    return records as T[];
  } catch (error) {
    fail(`--items: ${messageOf(error)}`);
  }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/**
 * Starts a simulator, prints where it listens, and closes it cleanly on SIGINT / SIGTERM.
 * SIGUSR2 brings it back online after a `{"offline": true}` fault (whose control plane went down with it).
 */
export async function runSimulatorMain<H extends SimulatorControls>(start: () => Promise<H>, describe: (handle: H) => string): Promise<void> {
  let handle: H;
  try {
    handle = await start();
  } catch (error) {
    process.stderr.write(`${messageOf(error)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${describe(handle)}\n`);
  // Offline, a simulator holds no socket; without this the process would exit instead of waiting to come back.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const shutdown = () => {
    clearInterval(keepAlive);
    handle.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${messageOf(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  process.on('SIGUSR2', () => {
    handle.setOffline(false).catch((error: unknown) => process.stderr.write(`${messageOf(error)}\n`));
  });
}

/**
 * Structured logs and Prometheus metrics for a worker process.
 *   LOG_LEVEL            TRACE | DEBUG | INFO | WARN | ERROR (default INFO)
 *   METRICS_BIND_ADDRESS where the Temporal runtime serves Prometheus metrics, e.g. 0.0.0.0:9464
 *                        (unset: no metrics endpoint)
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function installRuntime(component: string, env: NodeJS.ProcessEnv = process.env): void {
  const level = (LEVELS as string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LogLevel) : 'INFO';
  const logger = new DefaultLogger(level, (entry) => {
    // One JSON object a line: greppable, and ready for any log shipper.
    const line = {
      time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
      level: entry.level,
      component,
      message: entry.message,
      ...entry.meta,
    };
    process.stdout.write(`${JSON.stringify(line, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
  });
  const bindAddress = env.METRICS_BIND_ADDRESS;
  Runtime.install({
    logger,
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
  });
}

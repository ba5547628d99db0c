/**
 * Structured logs, Prometheus metrics and traces for a worker process.
 *   LOG_LEVEL            TRACE | DEBUG | INFO | WARN | ERROR (default INFO)
 *   METRICS_BIND_ADDRESS where the Temporal runtime serves Prometheus metrics, e.g. 0.0.0.0:9464
 *                        (unset: no metrics endpoint); the engine's own are recorded on the same
 *                        runtime by the activities (activities/metrics.ts) and the workflows (workflows/pass-metrics.ts)
 *   OTEL_EXPORTER_OTLP_ENDPOINT  where traces go over OTLP/HTTP (unset: no tracing; worker/tracing.ts)
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { formatLogLine, type LogFields } from './log-line';
import { configuredSecretValues } from '../config/config';
import { installTracing, shownTracesUrl } from './tracing';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
/** How often the list of secrets is read again: the connections file is watched, a connection may come in later. */
const SECRETS_REFRESH_MS = 5_000;

/** The secret values no log line may contain (`configuredSecretValues`), kept current. */
function configuredSecrets(env: NodeJS.ProcessEnv): () => string[] {
  let secrets = configuredSecretValues(env);
  let readAt = Date.now();
  return () => {
    if (Date.now() - readAt >= SECRETS_REFRESH_MS) {
      secrets = configuredSecretValues(env);
      readAt = Date.now();
    }
    return secrets;
  };
}

/** A log line as the parts of the stack hand it over; `time` defaults to now. */
export type LogLineInput = { time?: Date; level: string; message: string } & LogFields;

/**
 * Writes `component`'s log lines (to stdout unless `out` is given), the configured secrets scrubbed:
 * how every part of the stack logs, the workers, the intake (webhook) and the codec server alike.
 * Each line is `{"time","level","component","message",…}` (see log-line.ts).
 */
export function logLineWriter(
  component: string,
  env: NodeJS.ProcessEnv = process.env,
  out: (text: string) => void = (text) => process.stdout.write(text),
): (line: LogLineInput) => void {
  const secrets = configuredSecrets(env);
  return (line) => out(formatLogLine({ component, ...line }, secrets()));
}

/** The Temporal runtime's logger of a worker process: LOG_LEVEL and up, as `logLineWriter` lines. */
export function runtimeLogger(component: string, env: NodeJS.ProcessEnv = process.env, out?: (text: string) => void): DefaultLogger {
  const level = (LEVELS as string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LogLevel) : 'INFO';
  const write = logLineWriter(component, env, out);
  return new DefaultLogger(level, (entry) => {
    write({ time: new Date(Number(entry.timestampNanos / 1_000_000n)), level: entry.level, message: entry.message, ...entry.meta });
  });
}

export function installRuntime(component: string, env: NodeJS.ProcessEnv = process.env): void {
  const logger = runtimeLogger(component, env);
  const bindAddress = env.METRICS_BIND_ADDRESS;
  Runtime.install({
    logger,
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
  });
  if (installTracing(component, env)) logger.info(`Traces go over OTLP to ${shownTracesUrl(env)}`);
}

/** A payload the codec refused is a security event: one WARN line in this process's log (after `installRuntime`). */
export function logRefusedPayload(sentence: string): void {
  Runtime.instance().logger.warn(sentence);
}

/**
 * The codec server as a process of its own (production): `node --import tsx client/codec-server-main.ts`.
 *   PAYLOAD_CODEC_KEYS and every PAYLOAD_CODEC_KEYS_<CONNECTION_ID>   what it decodes with
 *   CODEC_OIDC_ISSUER, CODEC_OIDC_AUDIENCE, CODEC_OIDC_ROLE, CODEC_OIDC_ROLE_CLAIM (roles),
 *   CODEC_OIDC_JWKS_URL (default: the issuer's discovery document)  OIDC mode (the Web UI with
 *                                                  `codec.passAccessToken`); else CODEC_SERVER_TOKEN:
 *                                                  token mode; else loopback mode (see codec-auth.ts)
 *   CODEC_ALLOWED_ORIGINS   the Web UI's origin(s), comma-separated (CORS), e.g. https://temporal-ui.example.com
 *   CODEC_HOST (127.0.0.1), CODEC_PORT (8091)   put TLS in front: the Web UI passes a token to https only
 */
import { z } from 'zod';
import { EncryptionCodec } from '../temporal/payload-codec';
import { keyRingsFromEnvironment } from '../temporal/data-converter';
import { logLineWriter } from '../worker/observability';
import { runUntilStopped } from '../worker/process';
import { codecAuthFromEnv, describeCodecAuth } from './codec-auth';
import { startCodecServer } from './codec-server';

const EnvSchema = z.object({
  CODEC_HOST: z.string().min(1).default('127.0.0.1'),
  CODEC_PORT: z.coerce.number().int().min(1).max(65535).default(8091),
  CODEC_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url().refine((origin) => new URL(origin).origin === origin, 'an origin is scheme://host[:port], no path'))),
});

async function main(): Promise<void> {
  const env = EnvSchema.safeParse(process.env);
  if (!env.success) throw new Error(env.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  const auth = codecAuthFromEnv();
  // Every secret the engine reads is scrubbed, the token included (configuredSecretValues).
  const writeLine = logLineWriter('codec-server');
  const write = (level: string, message: string, fields: Record<string, unknown> = {}) => writeLine({ level, message, ...fields });
  const server = await startCodecServer({
    codec: new EncryptionCodec(keyRingsFromEnvironment(), (sentence) => write('warn', sentence)),
    auth,
    host: env.data.CODEC_HOST,
    port: env.data.CODEC_PORT,
    allowedOrigins: env.data.CODEC_ALLOWED_ORIGINS,
    log: (line) => write('warn', 'codec request refused', line),
  });
  write('info', `codec server on ${server.uiEndpoint}: ${describeCodecAuth(auth)}`, { origins: env.data.CODEC_ALLOWED_ORIGINS });
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

runUntilStopped('codec-server', main);

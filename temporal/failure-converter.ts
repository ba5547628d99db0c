/**
 * Loaded by path (`failureConverterPath`) in clients, workers and the workflow bundle alike: failure
 * messages and stack traces travel encoded, so the payload codec encrypts them like any payload. A
 * source's error message may quote an order's customer or address; in history it is ciphertext.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

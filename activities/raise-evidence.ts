/**
 * What a raise knows of its creates (`RaiseEvidence`): read back from the heartbeats of an earlier
 * attempt, and put on every failure of the raise, so the order never forgets that a create may have
 * reached the source.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { RaiseEvidence, RaiseStage } from '../contracts/activities';

/** A raise attempt's heartbeat: its stage, and what it knows of its creates. */
export interface RaiseProgress {
  stage: RaiseStage;
  sourceOrderCode?: string;
  /** As `RaiseEvidence.createSentAt`; absent: nothing known. */
  createSentAt?: number | null;
}

const RaiseProgressSchema = z.looseObject({ createSentAt: z.number().nullable().optional() });

/** What an earlier attempt of this activity knew of its creates (from its last heartbeat); undefined: nothing. */
export function createSentAtOf(heartbeatDetails: unknown): number | null | undefined {
  const parsed = RaiseProgressSchema.safeParse(heartbeatDetails);
  return parsed.success ? parsed.data.createSentAt : undefined;
}

/** The failure with the evidence as its first detail (the failure as it is when there is none). */
export function withRaiseEvidence(failure: Error, evidence: RaiseEvidence | undefined): Error {
  if (!evidence || !(failure instanceof ApplicationFailure)) return failure;
  return ApplicationFailure.create({
    type: failure.type ?? 'Error',
    message: failure.message,
    nonRetryable: failure.nonRetryable === true,
    details: [evidence, ...(failure.details ?? [])],
    ...(failure.nextRetryDelay === undefined ? {} : { nextRetryDelay: failure.nextRetryDelay }),
    ...(failure.cause ? { cause: failure.cause } : {}),
  });
}

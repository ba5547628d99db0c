/**
 * What the problem ledger keeps of a reason. A reason may quote the source (Omni's "Customer account
 * Thandi Nkosi not found"), and the ledger lives outside Temporal (files under DATA_DIR, Postgres), so
 * the store keeps in plain only the engine's own words and codes (`problemWords`), and the reason
 * whole sealed with the connection's key (`sealedReason`: AES-256-GCM with the connection's ring,
 * temporal/payload-codec.ts). Whoever holds that key reads it whole (`cli problems`, `cli status`);
 * anyone else, the database's owner included, reads the engine's words.
 *
 * The activities write through `sealingLedger` (sealing with their worker's keys); the CLI reads
 * through `openProblem` (opening with its own).
 */
import { STOCK2SHOP_REFUSED_PREFIX, type Problem, type ProblemLedger, type ProblemReport } from './product-state';

/** Seals and opens text for an owner (a connection id): the engine's payload codec (`EncryptionCodec`). */
export interface TextSealer {
  /** Undefined when this process holds no key for `owner`. */
  sealText(owner: string, text: string): string | undefined;
  /** Undefined without the key, or for text that does not authenticate as `owner`'s. */
  openText(owner: string, sealed: string): string | undefined;
}

/** A problem's reason in the engine's own words and codes, whatever the source said. */
export function problemWords(connectionId: string, problem: Pick<ProblemReport, 'kind' | 'code' | 'reason'>): string {
  if (problem.kind === 'order') return `needs a person: \`npm run cli -- order status ${connectionId} ${problem.code}\` says why`;
  return problem.reason.startsWith(STOCK2SHOP_REFUSED_PREFIX) ? 'refused by Stock2Shop' : 'rejected by validation';
}

/** The problems as a store keeps them: the engine's words in plain, the reason whole sealed (left out when no key is held). */
export function sealedReports(connectionId: string, problems: ProblemReport[], sealer: TextSealer | undefined): ProblemReport[] {
  return problems.map(({ kind, code, field, reason }) => {
    const sealedReason = sealer?.sealText(connectionId, reason);
    return { kind, code, field, reason: problemWords(connectionId, { kind, code, reason }), ...(sealedReason ? { sealedReason } : {}) };
  });
}

/**
 * The problem with its reason whole, opened by the first of `sealers` that can; else its engine words,
 * saying the rest is sealed (and keeping `sealedReason`, for a reader that holds the key).
 */
export function openProblem(problem: Problem, sealers: readonly TextSealer[]): Problem {
  const { sealedReason, ...rest } = problem;
  if (sealedReason === undefined) return rest;
  for (const sealer of sealers) {
    const reason = sealer.openText(problem.connectionId, sealedReason);
    if (reason !== undefined) return { ...rest, reason };
  }
  return { ...rest, reason: `${rest.reason} (the source's words are sealed with the key of ${problem.connectionId})`, sealedReason };
}

/** The ledger as the activities write it: every reason sealed with the connection's key of this moment's `sealer`. */
export function sealingLedger(ledger: ProblemLedger, sealer: () => TextSealer | undefined): ProblemLedger {
  return {
    recordProblems: (connectionId, problems) => ledger.recordProblems(connectionId, sealedReports(connectionId, problems, sealer())),
    closeProblems: (connectionId, kind, codes) => ledger.closeProblems(connectionId, kind, codes),
    closeProductProblemsUnseenInPass: (connectionId, passId) => ledger.closeProductProblemsUnseenInPass(connectionId, passId),
    openProblems: async (connectionId) => {
      const own = sealer();
      return (await ledger.openProblems(connectionId)).map((problem) => openProblem(problem, own ? [own] : []));
    },
  };
}

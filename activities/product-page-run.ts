/**
 * Several pages of a product sync in one activity, each page listed while the one before it is
 * pushed: a pass then costs about the slower of the source and Stock2Shop, not their sum, and one
 * activity round trip (two dispatch hops on the Temporal server) carries many pages instead of one.
 *
 * The source never sees more than one listing at a time (the next cursor comes from the page before),
 * so the connection's request limits hold as they did page by page. Progress is heartbeated after
 * every page as a resume point: a retried attempt (a worker killed, a page failed) starts at the
 * first page not done, with the counts of the pages before it.
 */
import { z } from 'zod';
import type { ProductPage } from '../connectors';
import {
  addCounts,
  emptyCounts,
  MAX_LISTED_INVALID_RECORDS,
  pageFailurePrefix,
  type SyncProductPageResult,
  type SyncProductPagesInput,
  type SyncProductPagesResult,
} from '../contracts/activities';
import { syncOneProductPage, type ProductPageDeps } from './product-pages';

/** An activity stops taking new pages after this long, so the workflow's progress moves at least this often. */
export const PAGE_RUN_BUDGET_MS = 20_000;

export interface PageRunDeps extends Omit<ProductPageDeps, 'listPage'> {
  listPage: (cursor: string | null) => Promise<ProductPage>;
  /** After each page: that page's figures, and the run's progress so far (heartbeated as the resume point). */
  onPageDone?: (page: SyncProductPageResult, progress: SyncProductPagesResult) => void;
  now?: () => number;
}

const CountSchema = z.number().int().min(0);
/** What a heartbeat of an earlier attempt holds; anything else is ignored and the run starts at its input. */
const ResumePointSchema = z.object({
  nextCursor: z.string().nullable(),
  pages: CountSchema,
  listed: CountSchema,
  pushed: CountSchema,
  unchanged: CountSchema,
  deleted: CountSchema,
  ignored: CountSchema,
  invalid: CountSchema,
  invalidRecords: z.array(z.object({ code: z.string(), field: z.string(), reason: z.string() })),
  selected: z.array(z.object({ code: z.string(), outcome: z.enum(['pushed', 'sent_as_deleted', 'ignored', 'invalid']) })).optional(),
});

/** The resume point in an earlier attempt's last heartbeat details (`{ resume: … }`), if any. */
export function resumePointOf(heartbeatDetails: unknown): SyncProductPagesResult | undefined {
  const parsed = z.object({ resume: ResumePointSchema }).safeParse(heartbeatDetails);
  return parsed.success ? parsed.data.resume : undefined;
}

export async function syncProductPageRun(input: SyncProductPagesInput, deps: PageRunDeps, resume?: SyncProductPagesResult): Promise<SyncProductPagesResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  let progress: SyncProductPagesResult = resume ?? {
    nextCursor: input.cursor,
    pages: 0,
    ...emptyCounts(),
    invalidRecords: [],
    ...(input.onlyCodes ? { selected: [] } : {}),
  };
  // A one-off push stops reading once every code it asked for was found.
  const allFound = () => input.onlyCodes !== undefined && input.onlyCodes.every((code) => progress.selected?.some((s) => s.code === code));
  // A resume point at the catalog's end (or at the page limit, or with every code found): the earlier attempt finished its pages.
  if (resume && (resume.nextCursor === null || resume.pages >= input.maxPages || allFound())) return resume;

  const beat = (details: Record<string, unknown>) => deps.heartbeat({ ...details, resume: progress });
  let listing: Promise<ProductPage> | undefined = deps.listPage(progress.nextCursor);
  while (listing) {
    const cursor = progress.nextCursor;
    let done: SyncProductPageResult;
    try {
      const page: ProductPage = await listing;
      const another: boolean = page.nextCursor !== null && progress.pages + 1 < input.maxPages && now() - started < PAGE_RUN_BUDGET_MS;
      listing = another ? deps.listPage(page.nextCursor) : undefined;
      // If this page fails first, the listing ahead is dropped; its failure must not go unhandled.
      listing?.catch(() => undefined);
      done = await syncOneProductPage({ ...input, cursor }, { ...deps, listPage: async () => page, heartbeat: beat });
    } catch (error) {
      // The same error (its class decides the retry), its message naming the page.
      if (error instanceof Error && input.firstPage !== undefined) error.message = pageFailurePrefix(input.firstPage + progress.pages, cursor) + error.message;
      throw error;
    }
    progress = {
      ...addCounts(progress, done),
      nextCursor: done.nextCursor,
      pages: progress.pages + 1,
      invalidRecords: [...progress.invalidRecords, ...done.invalidRecords].slice(0, MAX_LISTED_INVALID_RECORDS),
      ...(done.selected ? { selected: [...(progress.selected ?? []), ...done.selected] } : {}),
    };
    deps.onPageDone?.(done, progress);
    beat({ cursor: done.nextCursor, stage: 'page done', pages: progress.pages });
    // The page listed ahead is dropped: the push goes no further than where its last code was found.
    if (allFound()) listing = undefined;
  }
  return progress;
}

/** One line of `connections check`: ✓ passed, ✗ failed (and what to do), – not made from here (and why). */
export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface CheckLine {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for a check that failed or was not made. */
  todo?: string;
}

export const pass = (name: string, detail: string): CheckLine => ({ name, status: 'pass', detail });
export const fail = (name: string, detail: string, todo: string): CheckLine => ({ name, status: 'fail', detail, todo });
export const skipped = (name: string, detail: string, todo?: string): CheckLine => ({ name, status: 'skipped', detail, ...(todo ? { todo } : {}) });

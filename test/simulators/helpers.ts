/** Small fetch helpers for the simulators' own tests. */

export const OMNI_LOGIN = { UserName: 'Guest', Password: 'omni-secret', CompanyName: 'Acme Trading (PTY) LTD' };

export function omniUrl(base: string, resource: string, params: Record<string, string> = {}, login = OMNI_LOGIN): string {
  const query = new URLSearchParams({ ...login, ...params });
  return `${base}/${encodeURIComponent(resource)}/?${query}`;
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

export function postJson(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  return getJson(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** The low-level error code a failed fetch ended with (e.g. ECONNREFUSED), or throws if it did not fail. */
export async function connectionFailure(url: string, init?: RequestInit): Promise<string> {
  try {
    const response = await fetch(url, init);
    await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
  throw new Error(`expected ${url} to fail`);
}

/** A token endpoint's refusal: its status and OAuth `error` code, when it gave one. */
export class TokenRequestError extends Error {
  /** What it answered, as `401 invalid_client`. */
  readonly answer: string;
  constructor(readonly status: number, readonly code: string | undefined) {
    const answer = `${status} ${code ?? (status === 200 ? 'without an access token' : '(no code)')}`;
    super(`the token endpoint answered ${answer}`);
    this.name = 'TokenRequestError';
    this.answer = answer;
  }
}

/** An OAuth2 client, as it asks a token endpoint for an access token. */
export interface TokenClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** The form body of a client-credentials token request, the credentials in the body (`client_secret_post`). */
export const tokenRequestBody = (client: TokenClient) =>
  new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString();

/** The access token of a token endpoint's answer, or a `TokenRequestError` that says what it answered instead. */
export function accessTokenOf(status: number, body: unknown): string {
  const answer = body as { access_token?: unknown; error?: unknown } | undefined;
  if (status !== 200 || typeof answer?.access_token !== 'string') throw new TokenRequestError(status, typeof answer?.error === 'string' ? answer.error : undefined);
  return answer.access_token;
}

/** fetch's own message is only "fetch failed": its cause says why. */
export function whyFetchFailed(error: unknown): string {
  const cause = (error as Error).cause as { message?: string } | undefined;
  return `${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}`;
}

/** An access token from the token endpoint at `url`, asked for as `client`. */
export async function requestAccessToken(url: string, client: TokenClient): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: tokenRequestBody(client) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return accessTokenOf(res.status, body);
}

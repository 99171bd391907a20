/**
 * What a person sees when oidc-provider refuses a sign-in request that must not go back to the
 * website (unknown client, bad redirect_uri, an unusable Client ID Metadata Document): a title and
 * a cause in plain words, instead of the protocol's error code.
 */
export interface ErrorPage {
  title: string;
  cause: string;
}

interface ProviderError {
  error?: string;
  error_description?: string;
  error_detail?: string;
  cause?: unknown;
}

const CIMD = 'client_id metadata document';

function cimdProblem(err: ProviderError): string | null {
  const description = err.error_description ?? '';
  if (!description.includes(CIMD)) return null;
  const cause = err.cause as { name?: string; message?: string } | undefined;
  const detail = err.error_detail ?? '';
  if (/client_id does not match/.test(description)) return 'its client_id is not the address it was fetched from';
  if (/not a JSON object/.test(description) || cause?.name === 'SyntaxError') return 'it is not JSON (a JSON object is needed)';
  if (/fetch not allowed/.test(description)) return 'its address may not be fetched by this server';
  if (cause?.message === 'response too large' || detail === 'response too large') return 'it is larger than 5 KB';
  if (cause?.name === 'TimeoutError' || cause?.name === 'AbortError') return 'it did not arrive within 3 seconds (too long)';
  const status = /unexpected response status (\d+)/.exec(detail);
  if (status) {
    return /^3/.test(status[1]!)
      ? `it answered with a redirect (${status[1]}); the document must be served at its client_id itself, redirects are not followed`
      : `the website answered ${status[1]} instead of the document`;
  }
  if (/must be an https: URL|shared-secret|client_secret/.test(description)) return description.replace(`${CIMD} `, 'its ');
  return `it could not be fetched (${detail || description})`;
}

export function errorPage(err: ProviderError, out: { error: string; error_description?: string }): ErrorPage {
  const cimd = cimdProblem(err);
  if (cimd) return { title: "The website's description was refused", cause: `The website's client metadata document was refused: ${cimd}.` };
  switch (out.error) {
    case 'invalid_client':
      return { title: 'Unknown website', cause: 'This HAT does not know the website that sent you here (its client_id).' };
    case 'invalid_redirect_uri':
      return { title: 'Refused return address', cause: 'The address the website asked to be sent back to is not one it registered.' };
    case 'invalid_request':
      if (/redirect_uri/.test(out.error_description ?? '')) {
        return { title: 'Refused return address', cause: 'The address the website asked to be sent back to is not one it registered.' };
      }
  }
  return { title: 'The sign-in request was refused', cause: out.error_description ?? out.error };
}

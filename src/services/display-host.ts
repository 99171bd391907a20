import { parse } from 'tldts';
import { isLoopbackHost } from './redirects.js';

/** A host split for display: the registrable domain is the part a person should check. */
export interface DisplayHost {
  /** Labels before the registrable domain, with their trailing dot ('' when none). */
  prefix: string;
  /** The registrable domain ("eTLD+1"), or the whole host for IP addresses and loopback names. */
  domain: string;
  /** `:8080`, or '' for the scheme's default port. */
  port: string;
}

/**
 * Splits a URL's host into a prefix and its registrable domain, from the Public Suffix List
 * through `tldts` (kept up to date with the library, not by hand). Private suffixes count too:
 * on `alice.github.io` the person should check `alice.github.io`, not `github.io`.
 */
export function displayHost(url: URL): DisplayHost {
  const hostname = url.hostname;
  const port = url.port ? `:${url.port}` : '';
  const parsed = parse(hostname, { allowPrivateDomains: true });
  if (parsed.isIp || hostname.startsWith('[') || isLoopbackHost(hostname) || !parsed.domain) {
    return { prefix: '', domain: hostname, port };
  }
  const prefix = hostname.slice(0, hostname.length - parsed.domain.length);
  return { prefix, domain: parsed.domain, port };
}

/**
 * The part of oidc-provider (v9, which ships no types) that this server uses. Loose on purpose:
 * the library validates its configuration itself at start-up.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown> & { client_id?: string; scope?: string; redirect_uri?: string };
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
    exp: number;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
    jti: string;
  }

  export interface ClientInstance {
    clientId: string;
    clientName?: string;
    clientUri?: string;
    logoUri?: string;
    redirectUris: string[];
    clientAuthMethod: string;
    clientIdMetadataDocument?: boolean;
    scope?: string;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    on(event: string, listener: (...args: any[]) => void): this;
    use(middleware: (ctx: any, next: () => Promise<void>) => Promise<void>): void;
    Grant: { new (init: { accountId: string; clientId: string }): GrantInstance; find(id: string): Promise<GrantInstance | undefined> };
    Client: { find(id: string): Promise<ClientInstance | undefined>; prototype: { compareClientSecret(actual: string): boolean | Promise<boolean> } };
    AccessToken: { find(value: string): Promise<Record<string, any> | undefined> };
    static readonly ctx: any;
  }

  export class Check {
    constructor(reason: string, description: string, error: string, check: (ctx: any) => unknown);
    static readonly REQUEST_PROMPT: boolean;
    static readonly NO_NEED_TO_PROMPT: boolean;
  }

  export interface PromptInstance {
    name: string;
    checks: Check[] & { add(check: Check, index?: number): void };
  }

  export const interactionPolicy: {
    base(): PromptInstance[] & { get(name: string): PromptInstance | undefined };
    Check: typeof Check;
  };

  export const errors: Record<string, new (...args: any[]) => Error & { status: number; error: string; error_description?: string }>;
  export default Provider;
}

declare module 'oidc-provider/lib/helpers/fetch_request.js' {
  export function isSpecialUseIP(address: string): boolean;
}

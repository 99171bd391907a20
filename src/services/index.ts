import { availableParallelism } from 'node:os';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { announcingHatChanges } from '../store/changes.js';
import type { SessionStore, Store } from '../store/ports.js';
import { ActivityLog } from './activity.js';
import { Authenticator } from './authentication.js';
import { Approvals } from './approvals.js';
import { Dashboard } from './dashboard.js';
import { DataService } from './data.js';
import { HatApplications } from './hat-applications.js';
import { HatLogin } from './hatlogin.js';
import { HatDirectory } from './hats.js';
import { createMetrics, type HttpMetrics, type Metrics } from '../metrics.js';
import { reportingFailures } from '../store/reporting.js';
import { Unavailable, UniqueViolation } from '../errors.js';
import { HatAdministration } from './hat-admin.js';
import { KeyRing, KeyVault } from './keys.js';
import { HatLocator } from './locator.js';
import { OAuth } from './oidc/index.js';
import { Owners } from './owners.js';
import { PasswordHasher } from './passwords.js';
import { Permissions } from './permissions.js';
import { ApplicationRegistry } from './registry.js';
import { Signup } from './signup.js';
import { SignupLimits } from './signup-limits.js';
import { PasswordRules } from './strength.js';
import { WorkQueue } from './work-queue.js';
import { LoginThrottle } from './throttle.js';
import { Tokens } from './tokens.js';
import { Emails } from './emails.js';
import { LinkMailer } from './links.js';
import { createMailer, type Mailer } from './mail.js';
import { Recovery } from './recovery.js';
import { BrowserSessions } from './sessions.js';
import { SignupHandoff } from './handoff.js';

/** The domain, wired once per process. Routes receive this and nothing of the store. */
export interface Services {
  config: Config;
  log: Logger;
  /** Which adapter is in use, for /healthz and the logs. */
  storeKind: Store['kind'];
  /** Resolves when the datastore answers. */
  ping(): Promise<void>;
  /** Browser sessions, for the session middleware. */
  sessions: SessionStore;
  /** The one-time hand-off that logs a new HAT's owner in right after sign-up. */
  handoff: SignupHandoff;
  /** The owner's list of browser sessions: end one, or all ("log out everywhere", SPEC 7). */
  browserSessions: BrowserSessions;
  hats: HatDirectory;
  keys: KeyRing;
  tokens: Tokens;
  auth: Authenticator;
  owners: Owners;
  signup: Signup;
  activity: ActivityLog;
  /** "Go to my HAT" on the landing page. */
  locator: HatLocator;
  /** The "Log in with HAT" flow (SPEC 6). */
  hatlogin: HatLogin;
  /** The generic services an owner approved, for the dashboard. */
  approvals: Approvals;
  /** The cluster's application registry (admin API, `npm run apps`). */
  registry: ApplicationRegistry;
  /** Applications as one HAT's owner sees them: status, enable, disable, tokens. */
  applications: HatApplications;
  /** The data API (SPEC 8). */
  data: DataService;
  /** The owner's dashboard (SPEC 7). */
  dashboard: Dashboard;
  /** Where mail goes: SMTP_URL, or DATA_DIR/outbox/ (SPEC 13). */
  mailer: Mailer;
  /** One-time links sent by mail; `settled()` waits for mail still being sent. */
  links: LinkMailer;
  /** "Forgot password?" (SPEC 13). */
  recovery: Recovery;
  /** The owner's email address: confirmation and change (SPEC 13). */
  emails: Emails;
  /** The password rule; its estimator runs in worker threads that `close` ends. */
  passwordRules: PasswordRules;
  /** Password hashes and key generation, with owners' logins never behind sign-ups. */
  workQueue: WorkQueue;
  /** Named counters and gauges (`GET /metrics`); call them, never prom-client. */
  metrics: Metrics & HttpMetrics;
  /** OAuth 2 / OpenID Connect: clients, access tokens at the data API, grants (SPEC 12). */
  oauth: OAuth;
  /** The operator's HAT administration: admin API and `npm run hats` (SPEC 9). */
  hatAdmin: HatAdministration;
}

export function createServices(config: Config, storeAdapter: Store, log: Logger): Services {
  const metrics = createMetrics(config.metrics);
  const reporting = metrics.enabled ? reportingFailures(storeAdapter, (err) => countStoreError(metrics, err)) : storeAdapter;
  // The one place this process hears of its own writes to a HAT (store/changes.ts): what it
  // remembers of that HAT is dropped there, not by each service that writes.
  const { store, changes } = announcingHatChanges(reporting);
  const hats = new HatDirectory(store, config.revisionCheckMs);
  const vault = new KeyVault(config.keyEncryptionSecret);
  const keys = new KeyRing(store, vault, { retireAfterSeconds: keyOverlapSeconds(config) });
  const tokens = new Tokens(config, keys, metrics);
  // Expensive work runs on libuv's thread pool (4 threads): owners get a core's worth less one,
  // sign-ups one slot (a hash and a key pair side by side) and a backlog of 32, so neither
  // starves the event loop nor each other.
  const workQueue = new WorkQueue({ ownerSlots: Math.max(1, availableParallelism() - 1), signupSlots: 1, signupWaiting: 32 });
  const hasher = new PasswordHasher(workQueue);
  const passwordRules = new PasswordRules({ workers: 1, timeoutMs: config.passwordCheckTimeoutMs, maxWaiting: 16 });
  const activity = new ActivityLog(store, metrics);
  const throttle = new LoginThrottle(store);
  const approvals = new Approvals(store, activity);
  const registry: ApplicationRegistry = new ApplicationRegistry(store, {
    freshnessMs: config.revisionCheckMs,
    removeGrants: (id): Promise<number> => applications.removeGrantsOf(id),
  });
  const applications: HatApplications = new HatApplications(store, registry, tokens, activity);
  const auth = new Authenticator(tokens, { applications, approvals });
  changes.onHatChanged((name) => {
    hats.forget(name);
    keys.forget(name);
  });
  // An application leaving the registry changes what tokens on many HATs may do: drop what
  // this process remembers of tokens and of HAT revisions alike.
  changes.onEveryHatChanged(() => {
    auth.forgetAll();
    hats.forgetAll();
  });
  metrics.cacheSize('hats', () => hats.cached);
  metrics.cacheSize('keys', () => keys.cached);
  metrics.cacheSize('tokens', () => auth.cached);
  const browserSessions = new BrowserSessions(store.sessions, activity);
  const owners = new Owners(store, hats, hasher, throttle, activity, tokens, passwordRules, browserSessions);
  const mailer = createMailer(config);
  const links = new LinkMailer(config, store, mailer, log);
  const emails = new Emails(store, hats, owners, links, activity);
  return {
    config,
    log,
    storeKind: store.kind,
    ping: () => store.ping(),
    sessions: store.sessions,
    browserSessions,
    handoff: new SignupHandoff(store, hats, activity),
    hats,
    keys,
    tokens,
    auth,
    owners,
    signup: new Signup(config, store, hasher, vault, passwordRules, new SignupLimits(store, config.signupLimits), workQueue, (hat) => emails.confirmNewHat(hat)),
    activity,
    locator: new HatLocator(config, hats),
    hatlogin: new HatLogin(registry, store.once, tokens, activity, approvals, applications),
    approvals,
    registry,
    applications,
    data: new DataService(store, new Permissions(registry), (hat, id) => applications.noteUse(hat, id)),
    dashboard: new Dashboard(approvals, applications, activity, owners),
    mailer,
    links,
    recovery: new Recovery(store, hats, owners, links, activity, passwordRules),
    emails,
    passwordRules,
    workQueue,
    oauth: new OAuth(store, registry, activity, config.revisionCheckMs),
    hatAdmin: new HatAdministration(store, keys, owners, activity, log),
    metrics,
  };
}

/**
 * How long an earlier key keeps verifying after a rotation: the longest token lifetime, plus the
 * time another process may go on signing with it before it sees the rotation, plus a minute for
 * clocks. (Tokens signed elsewhere with the ring — OAuth, OIDC — must live no longer than this.)
 */
export function keyOverlapSeconds(config: Config): number {
  const longest = Math.max(config.tokenTtl.owner, config.tokenTtl.application, config.tokenTtl.validate);
  return longest + Math.ceil(config.revisionCheckMs / 1000) + 60;
}

/** A taken name or email is an answer, not a failure of the store. */
function countStoreError(metrics: Metrics, err: unknown): void {
  if (err instanceof UniqueViolation) return;
  metrics.storeError(err instanceof Unavailable ? 'unavailable' : 'other');
}

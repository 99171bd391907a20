import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseUrl, clusterAddress, ConfigError, hatAddress, loadConfig, type Config } from '../../src/config.js';

/**
 * SPEC 11: how the environment is read, as tables, without a server. Production with its secrets
 * given, so that nothing is written to a data folder; the secrets file itself and starting the
 * real process are tested in test/http/config.test.ts.
 */

const SECRETS = { SESSION_SECRET: 's'.repeat(40), KEY_ENCRYPTION_SECRET: 'k'.repeat(40), ADMIN_TOKEN: 'a'.repeat(40) };
const load = (env: NodeJS.ProcessEnv): Config => loadConfig({ NODE_ENV: 'production', ...SECRETS, ...env });

describe('loadConfig: each variable as it is read (SPEC 11)', () => {
  const table: Array<[NodeJS.ProcessEnv, (c: Config) => unknown, unknown]> = [
    [{}, (c) => c.port, 3000],
    [{ PORT: '8080' }, (c) => c.port, 8080],
    [{ PORT: ' 8080 ' }, (c) => c.port, 8080],
    [{ PORT: '0' }, (c) => c.port, 0],
    [{ PORT: '' }, (c) => c.port, 3000],
    [{}, (c) => c.host, '127.0.0.1'],
    [{ HOST: '0.0.0.0' }, (c) => c.host, '0.0.0.0'],
    [{}, (c) => c.hatDomain, 'hat.localhost'],
    [{ HAT_DOMAIN: 'Hubat.Example.NET' }, (c) => c.hatDomain, 'hubat.example.net'],
    [{ PORT: '8080' }, (c) => c.publicPort, 8080],
    [{ PORT: '8080', PUBLIC_PORT: '443' }, (c) => c.publicPort, 443],
    [{}, (c) => c.publicScheme, 'http'],
    [{ HAT_DOMAIN: 'localhost' }, (c) => c.publicScheme, 'http'],
    [{ HAT_DOMAIN: 'hubat.net' }, (c) => c.publicScheme, 'https'],
    [{ HAT_DOMAIN: 'hubat.net', PUBLIC_SCHEME: 'http' }, (c) => c.publicScheme, 'http'],
    [{}, (c) => c.mongodbUri, undefined],
    [{ MONGODB_URI: '' }, (c) => c.mongodbUri, undefined],
    [{ MONGODB_URI: 'mongodb://db/hat' }, (c) => c.mongodbUri, 'mongodb://db/hat'],
    [{}, (c) => c.production, true],
    [{}, (c) => c.trustProxy, false],
    [{ TRUST_PROXY: 'TRUE' }, (c) => c.trustProxy, true],
    [{ TRUST_PROXY: 'yes' }, (c) => c.trustProxy, true],
    [{ TRUST_PROXY: '0' }, (c) => c.trustProxy, false],
    [{}, (c) => c.allowQueryCredentials, true],
    [{ ALLOW_QUERY_CREDENTIALS: 'no' }, (c) => c.allowQueryCredentials, false],
    [{}, (c) => c.logLevel, 'info'],
    [{ LOG_LEVEL: 'SILENT' }, (c) => c.logLevel, 'silent'],
    [{}, (c) => c.tokenTtl, { owner: 259200, application: 259200, validate: 3600 }],
    [{ OWNER_TOKEN_TTL: '60', APPLICATION_TOKEN_TTL: '120', VALIDATE_TOKEN_TTL: '30' }, (c) => c.tokenTtl, { owner: 60, application: 120, validate: 30 }],
    [{ SESSION_SECRET: 'given' }, (c) => c.sessionSecret, 'given'],
    [{ ADMIN_TOKEN: 'given' }, (c) => c.adminToken, 'given'],
  ];
  table.forEach(([env, read, expected], i) => {
    it(`${JSON.stringify(env)} → ${JSON.stringify(expected)} (#${i})`, () => assert.deepEqual(read(load(env)), expected));
  });
});

describe('loadConfig: values that cannot work stop the start, naming the variable (SPEC 11)', () => {
  const table: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{ PORT: 'abc' }, /^PORT must be an integer from 0 to 65535, got "abc"$/],
    [{ PORT: '-1' }, /^PORT /],
    [{ PORT: '3.5' }, /^PORT /],
    [{ PORT: '65536' }, /^PORT /],
    [{ PORT: '0x50' }, /^PORT /],
    [{ PORT: ' ' }, /^PORT /],
    [{ PUBLIC_PORT: '70000' }, /^PUBLIC_PORT /],
    [{ OWNER_TOKEN_TTL: '0' }, /^OWNER_TOKEN_TTL must be an integer >= 1/],
    [{ VALIDATE_TOKEN_TTL: 'an hour' }, /^VALIDATE_TOKEN_TTL /],
    [{ HAT_DOMAIN: 'hat_domain.test' }, /^HAT_DOMAIN must be a domain name/],
    [{ HAT_DOMAIN: 'http://hat.localhost' }, /^HAT_DOMAIN /],
    [{ HAT_DOMAIN: 'hat.localhost:3000' }, /^HAT_DOMAIN /],
    [{ HAT_DOMAIN: '-hat.localhost' }, /^HAT_DOMAIN /],
    [{ PUBLIC_SCHEME: 'ftp' }, /^PUBLIC_SCHEME must be http or https/],
    [{ TRUST_PROXY: 'maybe' }, /^TRUST_PROXY must be true or false, got "maybe"$/],
    [{ ALLOW_QUERY_CREDENTIALS: 'sometimes' }, /^ALLOW_QUERY_CREDENTIALS /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ SESSION_SECRET: '' }, /NODE_ENV=production needs SESSION_SECRET in the environment/],
    [{ KEY_ENCRYPTION_SECRET: '', ADMIN_TOKEN: '' }, /needs KEY_ENCRYPTION_SECRET, ADMIN_TOKEN in the environment/],
  ];
  for (const [env, message] of table) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      assert.throws(() => load(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }
});

describe('addresses: the port is left out where the scheme implies it (SPEC 2, 11)', () => {
  const table: Array<[NodeJS.ProcessEnv, string, string]> = [
    [{}, 'http://alice.hat.localhost:3000', 'http://hat.localhost:3000'],
    [{ PORT: '8080' }, 'http://alice.hat.localhost:8080', 'http://hat.localhost:8080'],
    [{ PUBLIC_PORT: '80' }, 'http://alice.hat.localhost', 'http://hat.localhost'],
    [{ PUBLIC_PORT: '443' }, 'http://alice.hat.localhost:443', 'http://hat.localhost:443'],
    [{ HAT_DOMAIN: 'hubat.net', PUBLIC_PORT: '443' }, 'https://alice.hubat.net', 'https://hubat.net'],
    [{ HAT_DOMAIN: 'hubat.net', PUBLIC_PORT: '80' }, 'https://alice.hubat.net:80', 'https://hubat.net:80'],
    [{ HAT_DOMAIN: 'hubat.net', PORT: '8443' }, 'https://alice.hubat.net:8443', 'https://hubat.net:8443'],
    [{ PORT: '0' }, 'http://alice.hat.localhost', 'http://hat.localhost'], // a free port is filled in by the server
  ];
  for (const [env, hat, cluster] of table) {
    it(`${JSON.stringify(env)} → ${hat}, ${cluster}`, () => {
      const c = load(env);
      assert.equal(baseUrl(c, hatAddress(c, 'alice')), hat);
      assert.equal(baseUrl(c, clusterAddress(c)), cluster);
    });
  }
});

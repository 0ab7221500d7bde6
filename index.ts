import { BACKEND, backendArgs, FRONTEND, frontendArgs } from "./components/app/services";
import { WebService } from "./components/app/web-service";
import { loadSettings } from "./components/config/load";
import { parseSize, toMegabytes } from "./components/config/sizes";
import { StackNetworks } from "./components/network";
import { CLOUDFLARE_RANGES } from "./components/nginx/cloudflare";
import { EdgeProxy } from "./components/nginx/proxy";
import { DATABASE_NAME, DatabaseAccess, ROLES } from "./components/postgres/access";
import { PostgresServer } from "./components/postgres/server";
import { RedisServer } from "./components/redis/server";

// Every key is checked before any resource exists; a bad stack fails here with all its problems.
const settings = loadSettings();
const megabytes = (size: string) => toMegabytes(parseSize(size) ?? 0);
const bytes = (size: string) => parseSize(size) ?? 0;
const isProd = settings.environment === "prod";

const networks = new StackNetworks("net", {
  edgeSubnet: settings.edgeSubnet,
  dataSubnet: settings.dataSubnet,
  adminSubnet: settings.adminSubnet,
});

const postgres = new PostgresServer("postgres", {
  image: settings.postgresImage,
  tag: settings.postgresTag,
  memoryMb: megabytes(settings.postgresMemory),
  sharedBuffersBytes: bytes(settings.postgresSharedBuffers),
  workMemBytes: bytes(settings.postgresWorkMem),
  maxConnections: settings.postgresMaxConnections,
  superuserPassword: settings.postgresPassword,
  dataNetwork: networks.data,
  dataSubnet: settings.dataSubnet,
  adminNetwork: networks.admin,
  adminSubnet: settings.adminSubnet,
  adminPort: settings.postgresAdminPort,
  protectData: isProd,
});

const access = new DatabaseAccess("database", {
  adminEndpoint: postgres.adminEndpoint,
  superuserPassword: postgres.superuserPassword,
  appPoolMax: settings.backendDbPoolMax,
  dependsOn: [postgres.container],
});

const redis = new RedisServer("redis", {
  image: settings.redisImage,
  tag: settings.redisTag,
  memoryMb: megabytes(settings.redisMemory),
  maxMemoryBytes: bytes(settings.redisMaxMemory),
  evictionPolicy: settings.redisEvictionPolicy,
  appPassword: settings.redisPassword,
  dataNetwork: networks.data,
  protectData: isProd,
});

const BACKEND_NAME = "backend";
const FRONTEND_NAME = "frontend";
const backend = new WebService(
  BACKEND_NAME,
  backendArgs({
    image: settings.backendImage,
    tag: settings.backendTag,
    memoryMb: megabytes(settings.backendMemory),
    dbPoolMax: settings.backendDbPoolMax,
    database: { host: postgres.host, port: postgres.port, name: DATABASE_NAME },
    databaseUser: ROLES.app,
    databasePassword: access.appPassword,
    redis: { host: redis.host, port: redis.port },
    redisUser: redis.appUser,
    redisPassword: redis.appPassword,
    edgeNetwork: networks.edge,
    dataNetwork: networks.data,
  }),
  { dependsOn: [access, redis] },
);

const publicUrl =
  settings.httpsPort === 443
    ? `https://${settings.domain}`
    : `https://${settings.domain}:${settings.httpsPort}`;
const frontend = new WebService(
  FRONTEND_NAME,
  frontendArgs({
    image: settings.frontendImage,
    tag: settings.frontendTag,
    memoryMb: megabytes(settings.frontendMemory),
    publicUrl,
    backendHost: backend.host,
    edgeNetwork: networks.edge,
  }),
  { dependsOn: [backend] },
);

new EdgeProxy("nginx", {
  image: settings.nginxImage,
  tag: settings.nginxTag,
  memoryMb: megabytes(settings.nginxMemory),
  settings: {
    serverName: settings.domain,
    backendUpstream: `${BACKEND_NAME}:${BACKEND.port}`,
    frontendUpstream: `${FRONTEND_NAME}:${FRONTEND.port}`,
    publicHttpsPort: settings.httpsPort,
    denyList: settings.denyList,
    trustedProxies: settings.behindCloudflare ? CLOUDFLARE_RANGES : [],
    rateLimitPerSecond: settings.rateLimitPerSecond,
    rateLimitBurst: settings.rateLimitBurst,
    // Docker's proxy for the loopback-published status port connects from the edge gateway.
    statusAllowFrom: [settings.edgeSubnet],
  },
  tls:
    settings.tlsMode === "self-signed"
      ? { mode: "self-signed", domain: settings.domain }
      : {
          mode: "config",
          certificatePem: settings.tlsCertificate,
          privateKeyPem: settings.tlsPrivateKey,
        },
  httpPort: settings.httpPort,
  httpsPort: settings.httpsPort,
  statusPort: settings.nginxStatusPort,
  edgeNetwork: networks.edge,
  upstreams: [backend.container, frontend.container],
});

/** Where people and tools reach the stack; none of these values is a secret. */
export const url = publicUrl;
export const databaseName = access.database.name;
export const databaseRoles = ROLES;
export const localEndpoints = {
  backend: `http://127.0.0.1:${BACKEND.port}`,
  frontend: `http://127.0.0.1:${FRONTEND.port}`,
  postgres: postgres.adminEndpoint,
  nginxStatus: `http://127.0.0.1:${settings.nginxStatusPort}/nginx_status`,
};

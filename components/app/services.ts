import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { userinfo } from "../url-userinfo";
import { WebServiceArgs } from "./web-service";

/** Ports and health endpoints from the runbook's service table. */
export const BACKEND = { port: 3001, healthPath: "/health", healthTimeoutSeconds: 5 } as const;
export const FRONTEND = {
  port: 3000,
  healthPath: "/api/health",
  healthTimeoutSeconds: 10,
} as const;

export interface BackendWiring {
  image: string;
  tag: string;
  memoryMb: number;
  /** DB_POOL_MAX: the runbook raises it during connection-pool exhaustion. */
  dbPoolMax: number;
  database: { host: pulumi.Input<string>; port: pulumi.Input<number>; name: string };
  databaseUser: string;
  databasePassword: pulumi.Input<string>;
  redis: { host: pulumi.Input<string>; port: pulumi.Input<number> };
  redisUser: pulumi.Input<string>;
  redisPassword: pulumi.Input<string>;
  edgeNetwork: docker.Network;
  dataNetwork: docker.Network;
}

/** The backend joins the data tier; its connection strings carry secrets and stay secret. */
export function backendArgs(w: BackendWiring): WebServiceArgs {
  const dbUrl = pulumi.interpolate`postgres://${userinfo(w.databaseUser, w.databasePassword)}@${w.database.host}:${w.database.port}/${w.database.name}`;
  const redisUrl = pulumi.interpolate`redis://${userinfo(w.redisUser, w.redisPassword)}@${w.redis.host}:${w.redis.port}/0`;
  return {
    image: w.image,
    tag: w.tag,
    memoryMb: w.memoryMb,
    ...BACKEND,
    env: {
      DATABASE_URL: pulumi.secret(dbUrl),
      DB_HOST: w.database.host,
      DB_PORT: pulumi.output(w.database.port).apply(String),
      DB_NAME: w.database.name,
      DB_USER: w.databaseUser,
      DB_PASSWORD: pulumi.secret(w.databasePassword),
      DB_POOL_MAX: String(w.dbPoolMax),
      REDIS_URL: pulumi.secret(redisUrl),
      REDIS_HOST: w.redis.host,
      REDIS_PORT: pulumi.output(w.redis.port).apply(String),
      REDIS_USERNAME: w.redisUser,
      REDIS_PASSWORD: pulumi.secret(w.redisPassword),
    },
    networks: [w.edgeNetwork, w.dataNetwork],
  };
}

export interface FrontendWiring {
  image: string;
  tag: string;
  memoryMb: number;
  /** Public origin the browser uses, e.g. https://app.example.com. */
  publicUrl: string;
  backendHost: pulumi.Input<string>;
  edgeNetwork: docker.Network;
}

/** The frontend stays on the edge network: it reaches the API, never the data tier. */
export function frontendArgs(w: FrontendWiring): WebServiceArgs {
  return {
    image: w.image,
    tag: w.tag,
    memoryMb: w.memoryMb,
    ...FRONTEND,
    env: {
      PUBLIC_URL: w.publicUrl,
      API_URL: pulumi.interpolate`http://${w.backendHost}:${BACKEND.port}`,
    },
    networks: [w.edgeNetwork],
  };
}

import assert from "node:assert/strict";
import * as fc from "fast-check";
import * as field from "../components/config/fields";
import { SETTINGS, SettingName } from "../components/config/settings";
import { parseSize, sizeBytes, toMegabytes, toPostgresSize } from "../components/config/sizes";
import { FIXED_HOST_PORTS } from "../components/host-ports";
import { renderPostgresConf } from "../components/postgres/settings";
import { validate } from "./support/config-validation";

describe("configuration properties", () => {
  // 255.255.255.255 takes no prefix in nginx, and a trailing "::" standing for one group neither.
  const ipv4 = fc.ipV4();
  const cidr4 = fc
    .tuple(fc.ipV4(), fc.integer({ min: 1, max: 32 }))
    .filter(([a]) => a !== "255.255.255.255")
    .map(([a, b]) => `${a}/${b}`);
  const ipv6 = fc.ipV6().filter((a) => !/^([0-9a-f]{1,4}:){7}:$/i.test(a));
  const cidr6 = fc.tuple(ipv6, fc.integer({ min: 1, max: 128 })).map(([a, b]) => `${a}/${b}`);

  it("accepts every IPv4 and IPv6 address and CIDR block in the deny list but /0", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(ipv4, cidr4, ipv6, cidr6), { maxLength: 8 }), (entries) => {
        assert.deepEqual(validate({ denyList: JSON.stringify(entries) }).problems, []);
      }),
    );
  });

  it("refuses any deny-list entry with a zone id or a /0 prefix, naming its index", () => {
    const zoned = fc
      .tuple(fc.ipV6(), fc.stringMatching(/^[a-z0-9]{1,8}$/))
      .map(([a, zone]) => `${a}%${zone}`);
    const everyone = fc.oneof(fc.ipV4(), fc.ipV6()).map((a) => `${a}/0`);
    fc.assert(
      fc.property(fc.oneof(zoned, everyone), (entry) => {
        const problems = validate({ denyList: JSON.stringify(["192.0.2.1", entry]) }).problems;
        assert.deepEqual(
          problems.map((p) => p.key),
          ["denyList[1]"],
        );
        assert.match(problems[0].message, /zone id|\/0 block/);
      }),
    );
  });

  it("refuses any deny-list entry with an octet above 255 or a prefix above 32", () => {
    const badOctet = fc
      .tuple(fc.ipV4(), fc.integer({ min: 256, max: 999 }))
      .map(([a, octet]) => a.replace(/^\d+/, String(octet)));
    const badPrefix = fc
      .tuple(fc.ipV4(), fc.integer({ min: 33, max: 999 }))
      .map(([a, bits]) => `${a}/${bits}`);
    fc.assert(
      fc.property(fc.oneof(badOctet, badPrefix), (entry) => {
        const problems = validate({ denyList: JSON.stringify(["192.0.2.1", entry]) }).problems;
        assert.equal(problems.length, 1);
        assert.equal(problems[0].key, "denyList[1]");
      }),
    );
  });

  it("accepts exactly the ports from 1 to 65535", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -100000, max: 200000 }),
          fc.constantFrom(...Object.values(FIXED_HOST_PORTS)),
        ),
        (port) => {
          const problems = validate({ nginxStatusPort: String(port) }).problems;
          const taken = [80, 443, 5432, ...Object.values(FIXED_HOST_PORTS)];
          const valid = port >= 1 && port <= 65535 && !taken.includes(port);
          assert.equal(problems.length === 0, valid, `port ${port}: ${JSON.stringify(problems)}`);
        },
      ),
    );
  });

  it("accepts a size exactly when it has a k, m or g unit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom("", "k", "m", "g", "kb", "MB", "G", "t", "mib", " "),
        (amount, unit) => {
          const text = `${amount}${unit}`;
          const parsed = parseSize(text);
          assert.equal(parsed !== undefined, /^(k|m|g)b?$/i.test(unit), text);
        },
      ),
    );
  });

  const containerMemoryKeys = (Object.keys(SETTINGS) as SettingName[]).filter(
    (key) => SETTINGS[key].schema === field.containerMemory,
  );
  const anySize = fc
    .tuple(fc.integer({ min: 1, max: 8192 }), fc.constantFrom("k", "m", "g", "kb", "MB", "G", "Kb"))
    .map(([amount, unit]) => `${amount}${unit}`);

  it("gives every container's memory setting the Docker minimum", () => {
    assert.deepEqual(containerMemoryKeys, [
      "prometheusMemory",
      "alertmanagerMemory",
      "grafanaMemory",
      "postgresMemory",
      "redisMemory",
      "backendMemory",
      "frontendMemory",
      "nginxMemory",
    ]);
  });

  it("turns every accepted container memory setting into a Docker limit of at least 6 MB", () => {
    fc.assert(
      fc.property(fc.constantFrom(...containerMemoryKeys), anySize, (key, text) => {
        const accepted = !validate({ [key]: text }).problems.some((p) => p.key === key);
        assert.equal(accepted, sizeBytes(text) >= 6 * 1024 ** 2, `${key}: ${text}`);
        if (accepted) {
          assert.ok(toMegabytes(sizeBytes(text)) >= 6, `${key}: ${text}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("renders no PostgreSQL memory setting of zero from an accepted configuration", () => {
    fc.assert(
      fc.property(anySize, anySize, anySize, (memory, sharedBuffers, workMem) => {
        const raw = {
          postgresMemory: memory,
          postgresSharedBuffers: sharedBuffers,
          postgresWorkMem: workMem,
        };
        const result = validate(raw);
        fc.pre(result.values !== undefined);
        const conf = renderPostgresConf({
          memoryBytes: sizeBytes(memory),
          sharedBuffersBytes: sizeBytes(sharedBuffers),
          workMemBytes: sizeBytes(workMem),
          maxConnections: 100,
        });
        for (const name of ["shared_buffers", "work_mem", "effective_cache_size"]) {
          assert.match(conf, new RegExp(`^${name} = '[1-9][0-9]*(kB|MB|GB)'$`, "m"), name);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never converts a size to zero: the helpers throw instead", () => {
    assert.throws(() => sizeBytes("512"), /not a size/);
    assert.throws(() => toMegabytes(1023 * 1024), /below 1 MB/);
    assert.throws(() => toPostgresSize(0), /below 1kB/);
  });

  it("refuses latest in any letter case for every image", () => {
    const keys: SettingName[] = [
      "postgresTag",
      "redisTag",
      "backendTag",
      "frontendTag",
      "nginxTag",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.constantFrom("latest", "LATEST", "Latest"),
        (key, tag) => {
          const problems = validate({ [key]: tag }).problems;
          assert.ok(problems.some((p) => p.key === key && /latest/.test(p.message)));
        },
      ),
    );
  });

  it("refuses any pool size below 1", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000000, max: 0 }), (size) => {
        const problems = validate({ backendDbPoolMax: String(size) }).problems;
        assert.deepEqual(
          problems.map((p) => p.key),
          ["backendDbPoolMax"],
        );
      }),
    );
  });
});

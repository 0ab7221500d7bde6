import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { isRoot, requireBinary, run, tempDir } from "./support/processes";

const CI_RUN = path.join(__dirname, "..", ".ci", "run");

describe(".ci/run", () => {
  let bin: string;

  before(() => {
    // A PATH with the shell's own helpers and neither node, npm nor apt-get: nothing it may
    // install with is in reach, so a check that comes too late fails on its own.
    bin = tempDir("ci-path");
    for (const tool of ["bash", "dirname", "id"]) {
      fs.symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
    }
  });

  after(() => fs.rmSync(bin, { recursive: true, force: true }));

  it("passes shellcheck", async () => {
    requireBinary("/usr/bin/shellcheck", "shellcheck");
    const result = await run("/usr/bin/shellcheck", [CI_RUN]);
    assert.equal(result.code, 0, result.stdout);
  });

  it("stops before installing anything when node is missing, saying so", async () => {
    const result = await run("/usr/bin/bash", [CI_RUN], { env: { PATH: bin } });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      ".ci/run: node is not installed; install Node.js 20 or later (with npm) first\n",
    );
  });

  it("stops before installing anything when npm is missing, saying so", async () => {
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    try {
      const result = await run("/usr/bin/bash", [CI_RUN], { env: { PATH: bin } });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        ".ci/run: npm is not installed; install Node.js 20 or later (with npm) first\n",
      );
    } finally {
      fs.rmSync(path.join(bin, "node"));
    }
  });

  it("stops before apt-get when it is not run as root, saying so", async () => {
    // As root, the check is exercised as the unprivileged user nobody.
    const [command, args] = isRoot()
      ? ["/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", CI_RUN]]
      : ["/usr/bin/bash", [CI_RUN]];
    const result = await run(command, args);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, ".ci/run: apt-get needs root; run it as root, e.g. sudo .ci/run\n");
  });
});

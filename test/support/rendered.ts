import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { run, tempDir } from "./processes";

const ROOT = path.join(__dirname, "..", "..");
const renders = new Map<string, Promise<string>>();

/**
 * The output directory of `npm run render -- <stack>`, rendered once per test run and shared by
 * every suite that checks those files with real tools; removed when the run ends. `secrets` names
 * secret keys to render as set, which the stack file leaves unset.
 */
export function renderedStack(stack: string, secrets: string[] = []): Promise<string> {
  const key = [stack, ...secrets].join(" ");
  let pending = renders.get(key);
  if (!pending) {
    pending = renderInto(stack, secrets);
    renders.set(key, pending);
  }
  return pending;
}

/**
 * A copy of Pulumi.<stack>.yaml in which each of `secrets` is set as `pulumi config set --secret`
 * would leave it, encrypted; the render puts its marked stand-in in the files.
 */
function stackDirWithSecrets(stack: string, secrets: string[]): string {
  const dir = tempDir(`stack-${stack}`);
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = `Pulumi.${stack}.yaml`;
  const config = parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as {
    config: Record<string, unknown>;
  };
  for (const secret of secrets) {
    config.config[`waste-management:${secret}`] = { secure: "v1:set-for-the-test" };
  }
  fs.writeFileSync(path.join(dir, file), stringify(config));
  return dir;
}

async function renderInto(stack: string, secrets: string[]): Promise<string> {
  const out = tempDir(`rendered-${stack}`);
  process.once("exit", () => fs.rmSync(out, { recursive: true, force: true }));
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  const args = ["-T", path.join(ROOT, "render", "main.ts"), stack, "--out", out];
  if (secrets.length > 0) {
    args.push("--stack-dir", stackDirWithSecrets(stack, secrets));
  }
  const result = await run(tsNode, args, { timeoutMs: 60000 });
  assert.equal(result.code, 0, `render of ${stack} failed:\n${result.stderr}`);
  return out;
}

/** The text of one rendered file, by its path under the stack's output directory. */
export function readRendered(out: string, file: string): string {
  return fs.readFileSync(path.join(out, file), "utf8");
}

/** The rendered rule files of a stack, by area name. */
export function renderedRuleFiles(out: string): Map<string, string> {
  const dir = path.join(out, "monitoring", "rules");
  return new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((file) => [path.basename(file, ".yml"), fs.readFileSync(path.join(dir, file), "utf8")]),
  );
}

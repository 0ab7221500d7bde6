import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { run, tempDir } from "./processes";

const ROOT = path.join(__dirname, "..", "..");
const renders = new Map<string, Promise<string>>();

/**
 * The output directory of `npm run render -- <stack>`, rendered once per test run and shared by
 * every suite that checks those files with real tools; removed when the run ends.
 */
export function renderedStack(stack: string): Promise<string> {
  let pending = renders.get(stack);
  if (!pending) {
    pending = renderInto(stack);
    renders.set(stack, pending);
  }
  return pending;
}

async function renderInto(stack: string): Promise<string> {
  const out = tempDir(`rendered-${stack}`);
  process.once("exit", () => fs.rmSync(out, { recursive: true, force: true }));
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  const result = await run(
    tsNode,
    ["-T", path.join(ROOT, "render", "main.ts"), stack, "--out", out],
    {
      timeoutMs: 60000,
    },
  );
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

import { ConfigError, validateSettings } from "../components/config/load";
import { evaluateProgram, installMockEngine, RecordedResource } from "./engine";
import { readStackConfig, StackConfig } from "./stack-config";

/**
 * Reads a stack's config, refuses it with every problem when it is bad, and evaluates the program
 * for it on Pulumi's mock engine. Node loads the program once, so one stack per process.
 */
export async function evaluateStack(
  stack: string,
  stackDir: string,
): Promise<{ config: StackConfig; resources: RecordedResource[] }> {
  const config = readStackConfig(stack, stackDir);
  // Checked here too, so a bad stack fails before the program starts registering anything.
  const checked = validateSettings(
    (key) => config.values[`${config.project}:${key}`],
    (key) => config.values[key],
  );
  const problems = [...config.problems, ...checked.problems];
  if (problems.length > 0) {
    throw new ConfigError(problems, config.project);
  }
  const resources = await installMockEngine(
    config.project,
    stack,
    config.values,
    config.secretKeys,
  );
  await evaluateProgram();
  return { config, resources };
}

import { ConfigProblem } from "../components/config/load";

/** Letters to add, drop or change to turn `a` into `b` (Levenshtein distance). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + change);
    }
    previous = current;
  }
  return previous[b.length];
}

/** The declared key `key` was most likely meant to be: same letters in another case, or close. */
function closest(key: string, declared: readonly string[]): string | undefined {
  const sameLetters = declared.find((name) => name.toLowerCase() === key.toLowerCase());
  if (sameLetters !== undefined) {
    return sameLetters;
  }
  // Two edits at most, and fewer than a third of the key, so short keys do not match at random.
  const allowed = Math.min(2, Math.floor(key.length / 3));
  const ranked = declared
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
    .filter((candidate) => candidate.distance <= allowed)
    .sort((a, b) => a.distance - b.distance);
  return ranked[0]?.name;
}

/**
 * Keys of the project's namespace in a stack file that Pulumi.yaml does not declare. The Pulumi
 * CLI refuses such a stack; without this the offline render would ignore a typo and go on with
 * the default.
 */
export function undeclaredKeyProblems(
  stackKeys: readonly string[],
  project: string,
  declared: readonly string[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of stackKeys) {
    const [namespace, name] = key.includes(":") ? key.split(/:(.*)/s) : [project, key];
    if (namespace !== project || declared.includes(name)) {
      continue;
    }
    const suggestion = closest(name, declared);
    problems.push({
      key: name,
      message:
        "is not declared in Pulumi.yaml, and the Pulumi CLI refuses it" +
        (suggestion === undefined ? "" : `; did you mean ${suggestion}?`),
    });
  }
  return problems;
}

// Reading node:test's TAP report (the summary counts are `# pass N` lines; see run.mjs).

/**
 * The skipped tests of a node:test TAP report, as "suite › test: reason". Subtests are indented
 * four spaces per level and announced by "# Subtest: NAME" before their result line, so the
 * names seen at the lower levels are the test's parents.
 */
export function skippedTests(tap) {
  const parents = [];
  const out = [];
  for (const line of tap.split("\n")) {
    const subtest = /^( *)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const level = subtest[1].length / 4;
      parents.length = level;
      parents[level] = subtest[2];
      continue;
    }
    const skip = /^( *)ok \d+ - (.*?) # SKIP(?: (.*))?$/.exec(line);
    if (!skip) continue;
    const path = [...parents.slice(0, skip[1].length / 4), skip[2]].map((n) => n.replace(/\\#/g, "#"));
    out.push(`${path.join(" › ")}: ${skip[3]?.trim() || "(no reason given)"}`);
  }
  return out;
}

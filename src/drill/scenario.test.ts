import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_SCENARIOS } from './builtins.js';
import { faultsOutside, faultWindows, loadScenario, parseScenario, ScenarioUnreadable } from './scenario.js';

describe('drill scenarios', () => {
  it('every built-in scenario is a valid scenario file', () => {
    for (const name of Object.keys(BUILT_IN_SCENARIOS)) expect(loadScenario(name).name).toBe(name);
  });

  it("takes a scenario named like an Object.prototype member (constructor, toString) for a file, never for a built-in", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      writeFileSync('constructor', 'name: team-outage\nfaults:\n  - { start: "10%", end: "20%", effect: { status: 500 } }\n');
      expect(loadScenario('constructor').name).toBe('team-outage');
      expect(() => loadScenario('toString')).toThrow(/neither built in .* nor a file/);
    } finally {
      process.chdir(cwd);
    }
  });

  it("names a scenario file's problems in the config's words, each at its path, and YAML it cannot read by line", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-words-'));
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, 'name: x\nfaults:\n  - { start: "10%", end: 3, efect: { status: 503 } }\n');
    expect(() => loadScenario(typo)).toThrow(`${typo}: invalid scenario\n  faults[0].effect: required: a mapping (key: value)\n  faults[0]: unknown key "efect"; did you mean "effect"?`);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: x\nfaults: [\n');
    expect(() => loadScenario(broken)).toThrow(new RegExp(`^${broken}: not valid YAML: .* at line 3, column 1$`));
  });

  it('says why a scenario file cannot be read: a directory is named as one, a missing file lists the built-in names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    expect(() => loadScenario(dir)).toThrow(new ScenarioUnreadable(`cannot read scenario file ${dir}: it is a directory, not a file`));
    expect(() => loadScenario(join(dir, 'outage.yaml'))).toThrow(ScenarioUnreadable);
    expect(() => loadScenario(join(dir, 'outage.yaml'))).toThrow(/^scenario ".*outage\.yaml" is neither built in \(region-outage, .*\) nor a file$/);
  });

  it('resolves percentages against the duration and seconds as given', () => {
    const s = parseScenario({ name: 'x', faults: [{ start: '25%', end: 3, effect: { status: 503 } }] }, 'test');
    expect(faultWindows(s, 8_000)).toEqual([{ fromMs: 2_000, toMs: 3_000, effect: { status: 503 } }]);
  });

  it('splits a flapping window into down spells, down first, and clips at the end of the run', () => {
    const s = loadScenario('flap');
    expect(faultWindows(s, 10_000).map((w) => [w.fromMs, w.toMs])).toEqual([
      [2_000, 3_000],
      [4_000, 5_000],
      [6_000, 7_000],
    ]);
    const late = parseScenario({ name: 'late', faults: [{ start: 4, end: 60, effect: { latency_ms: 100 } }] }, 'test');
    expect(faultWindows(late, 5_000)).toEqual([{ fromMs: 4_000, toMs: 5_000, effect: { latency_ms: 100 } }]);
  });

  it('names the faults that lie past the end of the run, which it leaves out', () => {
    const s = parseScenario({ name: 'x', faults: [{ start: 1, end: 2, effect: { status: 503 } }, { start: 30, end: 60, effect: { status: 503 } }, { start: '50%', end: '90%', effect: { refuse: true } }] }, 'test');
    expect(faultsOutside(s, 4_000)).toEqual(['30 s to 60 s']);
    expect(faultWindows(s, 4_000).map((w) => w.fromMs)).toEqual([1_000, 2_000]);
  });

  it('names the path of what is wrong in a team scenario', () => {
    expect(() => parseScenario({ name: 'x', faults: [{ start: 'soon', end: 2, effect: {} }] }, 'team.yaml')).toThrow(
      /team\.yaml: invalid scenario\n {2}faults\[0\]\.start: .*\n {2}faults\[0\]\.effect: an effect needs at least one field/
    );
  });
});

/**
 * Which commands a Debian source package's build runs as its test step, read from its
 * debian/rules (a makefile). Pure: text in, recipe lines out.
 *
 * Three shapes cover the archive's packages:
 * - the dh sequencer (`dh $@`) with an `override_dh_auto_test` target: the build runs that
 *   target's recipe instead of dh_auto_test (Debian Policy 4.9 and dh(1), "override targets");
 *   an override with no commands is how a package disables its tests;
 * - the dh sequencer without such an override: the build runs `dh_auto_test`, which runs the
 *   upstream build system's check or test target;
 * - a hand-written debian/rules (gzip): the test commands are the recipe lines that run only
 *   when DEB_BUILD_OPTIONS lacks `nocheck` (Debian Policy 4.9.1: `nocheck` "means that the
 *   build must not run the test suite"), e.g. `ifeq (,$(filter nocheck,$(DEB_BUILD_OPTIONS)))`.
 */

export type TestStep =
  /** Recipe lines (make syntax, each starting with a tab, nested conditionals kept) of the test step. */
  | { kind: 'dh_auto_test' | 'override' | 'guarded'; recipe: string[] }
  /** The build runs no test step; `why` says what debian/rules shows. */
  | { kind: 'none'; why: string };

const TARGET = /^([^\s:=#][^:=]*?)\s*::?(?!=)(.*)$/;
const CONDITIONAL = /^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)\b/;
const DH_SEQUENCER = /^\t[\t ]*(?:[A-Z_]+=\S*\s+)*dh\s+(?:\$@|\$\{@\}|\$\(@\)|build|binary)/m;

/** Joins backslash-continued lines (makefile syntax) so that each logical line is one entry. */
function logicalLines(rules: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of rules.replace(/\r\n/g, '\n').split('\n')) {
    if (raw.endsWith('\\')) {
      pending += `${raw.slice(0, -1)} `;
      continue;
    }
    out.push(pending + raw);
    pending = '';
  }
  if (pending !== '') out.push(pending);
  return out;
}

/** The recipe of the first rule whose targets include `name` (lines starting with a tab, and conditionals among them). */
export function recipeOf(rules: string, name: string): string[] | undefined {
  const lines = logicalLines(rules);
  for (let i = 0; i < lines.length; i++) {
    const m = TARGET.exec(lines[i]!);
    if (m === null || !m[1]!.split(/\s+/).includes(name)) continue;
    const recipe: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      if (line.startsWith('\t') || CONDITIONAL.test(line)) recipe.push(line);
      else if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      else break;
    }
    return recipe;
  }
  return undefined;
}

/** Whether a recipe does anything: some line other than comments, `:` or an echo. */
function doesSomething(recipe: readonly string[]): boolean {
  return recipe.some((line) => {
    if (CONDITIONAL.test(line)) return false;
    const command = line.trim().replace(/^[@+-]+/, '').trim();
    return command !== '' && !command.startsWith('#') && command !== ':' && command !== 'true' && !/^echo\b/.test(command);
  });
}

/**
 * Does this conditional line test for `nocheck`, and which branch runs the tests?
 * `ifeq (,$(filter nocheck,...))` and `ifeq ($(filter nocheck,...),)`: the first branch;
 * `ifneq` with an empty side: the else branch. Any other shape is not recognised (undefined).
 */
function nocheckBranch(line: string): 'then' | 'else' | undefined {
  const m = /^\s*(ifeq|ifneq)\s*\((.*)\)\s*$/.exec(line);
  if (m === null || !/\bnocheck\b/.test(m[2]!)) return undefined;
  const body = m[2]!.trim();
  const emptySide = body.startsWith(',') || body.endsWith(',');
  if (!emptySide) return undefined;
  return m[1] === 'ifeq' ? 'then' : 'else';
}

/**
 * Recipe lines run only without `nocheck`: the branch of each nocheck conditional that runs
 * the tests, with the conditionals nested in it kept (make evaluates them when it reads the
 * generated makefile, against the same variables).
 */
export function nocheckGuardedRecipe(rules: string): string[] {
  const lines = logicalLines(rules);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const branch = nocheckBranch(lines[i]!);
    if (branch === undefined) continue;
    let depth = 0;
    let inTests = branch === 'then';
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      const directive = CONDITIONAL.exec(line)?.[1];
      if (directive === 'endif' && depth === 0) { i = j; break; }
      if (directive === 'else' && depth === 0) { inTests = !inTests; continue; }
      if (directive === 'ifeq' || directive === 'ifneq' || directive === 'ifdef' || directive === 'ifndef') depth++;
      if (directive === 'endif') depth--;
      if (inTests && (line.startsWith('\t') || directive !== undefined)) out.push(directive === undefined ? line : line.trim());
    }
  }
  return out;
}

/**
 * The test step of the build described by `rules` (debian/rules' text); `dhAutoTestPlan` is
 * what `dh_auto_test --no-act` printed in the built tree (the commands it would run, or nothing
 * when the upstream build system has no test target).
 */
export function testStepOf(rules: string, dhAutoTestPlan: string): TestStep {
  if (DH_SEQUENCER.test(rules)) {
    for (const target of ['override_dh_auto_test-arch', 'override_dh_auto_test']) {
      const recipe = recipeOf(rules, target);
      if (recipe === undefined) continue;
      if (!doesSomething(recipe)) return { kind: 'none', why: `debian/rules disables the test suite: its ${target} target runs nothing` };
      return { kind: 'override', recipe: [`\t$(MAKE) -f debian/rules ${target}`] };
    }
    if (!plannedCommands(dhAutoTestPlan)) {
      return { kind: 'none', why: 'dh_auto_test finds no test target in the upstream build system (`dh_auto_test --no-act` runs nothing)' };
    }
    return { kind: 'dh_auto_test', recipe: ['\tdh_auto_test'] };
  }
  const guarded = nocheckGuardedRecipe(rules);
  if (guarded.some((line) => !CONDITIONAL.test(line) && doesSomething([line]))) return { kind: 'guarded', recipe: guarded };
  return { kind: 'none', why: 'debian/rules neither uses the dh sequencer nor runs commands guarded by DEB_BUILD_OPTIONS=nocheck' };
}

/**
 * Whether `dh_auto_test --no-act`'s output names a command to run. debhelper's own messages
 * (`dh_auto_test: warning: Compatibility levels before 10 are deprecated`, printed by sl's build)
 * are not commands.
 */
function plannedCommands(dhAutoTestPlan: string): boolean {
  return dhAutoTestPlan.split('\n').some((line) => /\S/.test(line) && !/^dh_auto_test: (warning|info|compat \d+): /.test(line));
}

/** The makefile suite.sh reads beside debian/rules: one target, `loupe-debian-suite`, running `step`. */
export function suiteMakefile(source: string, step: Exclude<TestStep, { kind: 'none' }>): string {
  const origin = {
    dh_auto_test: 'dh_auto_test, as the dh sequencer runs it',
    override: 'the override_dh_auto_test target of debian/rules',
    guarded: 'the commands of debian/rules that run unless DEB_BUILD_OPTIONS has nocheck',
  }[step.kind];
  return [
    `# loupe debian: the test step of ${source}'s build: ${origin}.`,
    '# Read together with debian/rules: make -f debian/rules -f suite.mk loupe-debian-suite',
    '.PHONY: loupe-debian-suite',
    'loupe-debian-suite:',
    ...step.recipe,
    '',
  ].join('\n');
}

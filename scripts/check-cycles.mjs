// Fails when the built ESM (dist/esm) has a runtime import cycle: static `import … from`,
// `import '…'` and `export … from` between the package's own modules. Type-only imports are
// erased by the build and dynamic `import()` loads lazily, so neither can leave a class
// undefined at load time; neither is counted.
//
//   node scripts/check-cycles.mjs [dir]   (default dist/esm; run `npm run build` first)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist/esm');
const STATIC = /(?:^|[;\n])\s*(?:import|export)\s+(?:[\w*{}\s,$]+\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;

function modules(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return modules(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

const graph = new Map();
for (const file of modules(root)) {
  const source = readFileSync(file, 'utf8');
  const deps = [...source.matchAll(STATIC)].map((m) => resolve(dirname(file), m[1]));
  graph.set(file, deps);
}

// Depth-first search with colours; every back edge is a cycle.
const cycles = [];
const state = new Map(); // 1 = on the stack, 2 = done
const stack = [];
function visit(file) {
  state.set(file, 1);
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (!graph.has(dep)) continue;
    if (state.get(dep) === 1) cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
    else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

const edges = [...graph.values()].reduce((n, deps) => n + deps.length, 0);
const name = (file) => relative(root, file);
if (cycles.length > 0) {
  console.error(`${cycles.length} runtime import cycle(s) in ${name(root) || root}:`);
  for (const cycle of cycles) console.error(`  ${cycle.map(name).join(' → ')}`);
  process.exit(1);
}
console.log(
  `No runtime import cycle: ${graph.size} modules, ${edges} static imports (${relative(process.cwd(), root)}).`,
);

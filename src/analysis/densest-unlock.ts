/**
 * The densest unlock: among all sets of syscalls, one that maximises
 *   (applications whose missing syscalls it covers) / (syscalls in it).
 * Exact, through Dinkelbach's iteration on a project-selection min cut: for a ratio p/q,
 * selecting application a earns q and requires its missing syscalls, each costing p; the
 * best selection is the source side of a minimum cut. When the best selection earns
 * nothing more than its cost, p/q is the optimum, reached by the previous selection.
 */

interface Edge {
  to: number;
  cap: number;
  rev: number;
}

/** Dinic's maximum flow on a small graph with integer capacities. */
class FlowNetwork {
  readonly edges: Edge[][];
  private level: number[] = [];
  private next: number[] = [];

  constructor(nodes: number) {
    this.edges = Array.from({ length: nodes }, () => []);
  }

  addEdge(from: number, to: number, cap: number): void {
    this.edges[from]!.push({ to, cap, rev: this.edges[to]!.length });
    this.edges[to]!.push({ to: from, cap: 0, rev: this.edges[from]!.length - 1 });
  }

  private bfs(source: number, sink: number): boolean {
    this.level = new Array(this.edges.length).fill(-1);
    this.level[source] = 0;
    const queue = [source];
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head]!;
      for (const e of this.edges[v]!) {
        if (e.cap > 0 && this.level[e.to]! < 0) {
          this.level[e.to] = this.level[v]! + 1;
          queue.push(e.to);
        }
      }
    }
    return this.level[sink]! >= 0;
  }

  private dfs(v: number, sink: number, pushed: number): number {
    if (v === sink) return pushed;
    for (; this.next[v]! < this.edges[v]!.length; this.next[v]!++) {
      const e = this.edges[v]![this.next[v]!]!;
      if (e.cap <= 0 || this.level[e.to] !== this.level[v]! + 1) continue;
      const flow = this.dfs(e.to, sink, Math.min(pushed, e.cap));
      if (flow > 0) {
        e.cap -= flow;
        this.edges[e.to]![e.rev]!.cap += flow;
        return flow;
      }
    }
    return 0;
  }

  maxFlow(source: number, sink: number): number {
    let total = 0;
    while (this.bfs(source, sink)) {
      this.next = new Array(this.edges.length).fill(0);
      for (let f = this.dfs(source, sink, Infinity); f > 0; f = this.dfs(source, sink, Infinity)) total += f;
    }
    return total;
  }

  /** Nodes reachable from `source` in the residual graph: the smallest minimum-cut side. */
  reachable(source: number): boolean[] {
    const seen = new Array(this.edges.length).fill(false);
    seen[source] = true;
    const stack = [source];
    while (stack.length > 0) {
      for (const e of this.edges[stack.pop()!]!) {
        if (e.cap > 0 && !seen[e.to]) {
          seen[e.to] = true;
          stack.push(e.to);
        }
      }
    }
    return seen;
  }
}

/**
 * The applications (indices into `missing`) of a selection with the highest ratio of
 * applications to syscalls; the smallest such selection the min cut yields. Every set must
 * be non-empty.
 */
export function densestUnlock(missing: readonly ReadonlySet<number>[]): number[] {
  const syscalls = [...new Set(missing.flatMap((m) => [...m]))].sort((a, b) => a - b);
  const index = new Map(syscalls.map((nr, i) => [nr, i]));
  // Start from everything: ratio apps / syscalls, then improve until no selection beats it.
  let best = missing.map((_, i) => i);
  let p = missing.length;
  let q = syscalls.length;
  for (;;) {
    const source = 0;
    const sink = missing.length + syscalls.length + 1;
    const net = new FlowNetwork(sink + 1);
    missing.forEach((m, a) => {
      net.addEdge(source, 1 + a, q);
      for (const nr of m) net.addEdge(1 + a, 1 + missing.length + index.get(nr)!, Infinity);
    });
    syscalls.forEach((_, s) => net.addEdge(1 + missing.length + s, sink, p));
    const cut = net.maxFlow(source, sink);
    // Selection value = q * apps - p * syscalls = q * |missing| - cut.
    if (q * missing.length - cut <= 0) return best;
    const side = net.reachable(source);
    const apps = missing.map((_, a) => a).filter((a) => side[1 + a]);
    const used = syscalls.filter((_, s) => side[1 + missing.length + s]).length;
    best = apps;
    p = apps.length;
    q = used;
  }
}

/*
 * loupe-syscall-counter: records, in the kernel, which syscalls the application of each run
 * executes, for cgroups whose id is above a given one (those loupe creates for its runs).
 *
 *   loupe-syscall-counter MIN_CGROUP_ID
 *       loads a small eBPF program on the raw tracepoint `sys_enter` and writes `ready` on
 *       stdout; then, for every line `CGROUP_ID` read on stdin (a run that has ended), writes
 *       one line `SYSCALL_NR` per syscall that cgroup's application executed, then `end`, and
 *       forgets them. Exits 0 when stdin is closed. Errors: a message on stderr and exit 1.
 *
 * A run's sandbox (bwrap) starts in the run's cgroup (loupe-isolate creates it there with
 * clone3(CLONE_INTO_CGROUP)); the launcher, just before it installs the seccomp filter, makes
 * the marker syscall RECORD_MARKER_NR (src/sandbox/launcher.c). Per cgroup, the program then
 * records (cgroup v2 id, syscall number) pairs of the application only:
 *   - before the marker, it remembers each process (tgid) that makes a syscall: bwrap's own;
 *   - the process making the marker becomes a member; after the marker, so does every process
 *     not seen before (the members' children: the sandbox's own processes never fork again);
 *   - only members' syscalls are recorded, each pair once; later calls cost map lookups.
 * No process moves between cgroups during a run: a move (a write to cgroup.procs) right before
 * the application starts changes the timing of what follows, and with it the verdict of racy
 * perturbations (docs/explore.md, "Fallbacks").
 *
 * No tracer, no ptrace stop, nothing the application can see. sys_enter fires after seccomp
 * (kernel/entry/common.c, syscall_trace_enter), so calls a seccomp filter stubs or fakes are not
 * seen; it fires before the syscall number is checked, so the marker (a number no kernel
 * implements, answered -ENOSYS) is seen.
 *
 * The program is written in eBPF instructions here rather than compiled, so the helper needs
 * no compiler, no BTF and no tracefs at run time, and starts in milliseconds. Needs root
 * (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN), Linux >= 4.18 (raw tracepoints,
 * bpf_get_current_cgroup_id); starting the sandboxes in their cgroups needs Linux >= 5.7.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PAIRS 262144
#define MAX_PROCESSES 65536

static long bpf(int cmd, union bpf_attr *attr) {
	return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static void fail(const char *what) {
	fprintf(stderr, "loupe-syscall-counter: %s: %s\n", what, strerror(errno));
	exit(1);
}

#define INSN(CODE, DST, SRC, OFF, IMM) ((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })
/* A 64-bit immediate load takes two instructions; src = BPF_PSEUDO_MAP_FD makes IMM a map fd. */
#define LD_IMM64(DST, SRC, IMM) INSN(BPF_LD | BPF_DW | BPF_IMM, DST, SRC, 0, (int32_t)(uint32_t)(IMM)), INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(IMM) >> 32))

/* (cgroup, syscall number) in the record; (cgroup, tgid) in the process maps. */
struct key {
	uint64_t cgroup;
	uint64_t nr;
};

/* Writes the syscalls recorded for one cgroup and removes them from the map. */
static void take(int map, uint64_t cgroup) {
	static struct key found[4096];
	union bpf_attr attr;
	struct key key, next;
	int first = 1;
	size_t n = 0;
	for (;;) {
		memset(&attr, 0, sizeof attr);
		attr.map_fd = map;
		attr.key = first ? 0 : (uint64_t)(uintptr_t)&key;
		attr.next_key = (uint64_t)(uintptr_t)&next;
		if (bpf(BPF_MAP_GET_NEXT_KEY, &attr) < 0) {
			if (errno == ENOENT) break;
			fail("cannot read the BPF map");
		}
		if (next.cgroup == cgroup && n < sizeof found / sizeof found[0]) found[n++] = next;
		key = next;
		first = 0;
	}
	for (size_t i = 0; i < n; i++) {
		printf("%llu\n", (unsigned long long)found[i].nr);
		memset(&attr, 0, sizeof attr);
		attr.map_fd = map;
		attr.key = (uint64_t)(uintptr_t)&found[i];
		bpf(BPF_MAP_DELETE_ELEM, &attr);
	}
	printf("end\n");
	if (fflush(stdout) != 0) fail("cannot write");
}

/* Equal to RECORD_MARKER_NR in src/sandbox/launcher.c (test/unit/launcher-constants.test.ts). */
#define RECORD_MARKER_NR 0x3ffe10cb

/* The program, built with labels so that jump offsets are computed rather than counted. */
static struct bpf_insn prog[96];
static int insns;
static int label_at[8];
static struct { int insn, label; } fixups[16];
static int nfixups;
static void emit(struct bpf_insn i) { prog[insns++] = i; }
static void emit_jump(struct bpf_insn i, int label) {
	fixups[nfixups].insn = insns;
	fixups[nfixups++].label = label;
	emit(i);
}
static void place(int label) { label_at[label] = insns; }
#define EMIT_LD_IMM64(DST, SRC, IMM) do { struct bpf_insn two[] = { LD_IMM64(DST, SRC, IMM) }; emit(two[0]); emit(two[1]); } while (0)
/* r1 = map, r2 = fp + KEY_OFF, call lookup: r0 = value pointer or 0. */
static void lookup(int map, int key_off) {
	EMIT_LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_FD, map);
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
	emit(INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, key_off));
	emit(INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
}
/* map[fp + KEY_OFF] = *(fp + ONE) (the value 1). */
#define ONE (-40)
static void insert(int map, int key_off) {
	EMIT_LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_FD, map);
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
	emit(INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, key_off));
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0));
	emit(INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, ONE));
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_ANY));
	emit(INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem));
}

static int create_map(int type, unsigned key_size, unsigned max_entries, unsigned flags) {
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = sizeof(uint64_t);
	attr.max_entries = max_entries;
	attr.map_flags = flags;
	int map = (int)bpf(BPF_MAP_CREATE, &attr);
	if (map < 0) fail("cannot create a BPF map");
	return map;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: loupe-syscall-counter MIN_CGROUP_ID\n");
		return 2;
	}
	uint64_t min_cgroup = strtoull(argv[1], NULL, 10);

	/* (cgroup, syscall) pairs: the record. */
	int pairs = create_map(BPF_MAP_TYPE_HASH, sizeof(struct key), MAX_PAIRS, BPF_F_NO_PREALLOC);
	/* (cgroup, tgid) of the application's processes, and of the processes seen before the marker. */
	int members = create_map(BPF_MAP_TYPE_LRU_HASH, sizeof(struct key), MAX_PROCESSES, 0);
	int before = create_map(BPF_MAP_TYPE_LRU_HASH, sizeof(struct key), MAX_PROCESSES, 0);
	/* cgroups whose launcher made the marker. */
	int armed = create_map(BPF_MAP_TYPE_LRU_HASH, sizeof(uint64_t), MAX_PROCESSES, 0);

	/*
	 * ctx of a raw tracepoint: u64 args[]; sys_enter(struct pt_regs *regs, long id): args[1] = id.
	 * Stack: fp-16 pair key {cgroup, nr}; fp-32 process key {cgroup, tgid} (its first 8 bytes
	 * are the armed map's key); fp-40 the value 1.
	 */
	enum { OUT, NOT_MARKER, RECORD, NEW_MEMBER };
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0));
	emit(INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_cgroup_id));
	EMIT_LD_IMM64(BPF_REG_1, 0, min_cgroup);
	emit_jump(INSN(BPF_JMP | BPF_JLE | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0), OUT);
	emit(INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -16, 0));
	emit(INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -32, 0));
	emit(INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_6, 8, 0));
	emit(INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_7, -8, 0));
	emit(INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid));
	emit(INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32));
	emit(INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -24, 0));
	emit(INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, ONE, 1));
	/* The marker: its maker becomes a member, its cgroup armed; the marker itself is not recorded. */
	emit_jump(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_7, 0, 0, RECORD_MARKER_NR), NOT_MARKER);
	insert(members, -32);
	insert(armed, -32);
	emit_jump(INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), OUT);
	place(NOT_MARKER);
	lookup(members, -32);
	emit_jump(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0), RECORD);
	lookup(armed, -32);
	emit_jump(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0), NEW_MEMBER);
	/* Not armed yet: a process of the sandbox itself, never recorded. */
	insert(before, -32);
	emit_jump(INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), OUT);
	place(NEW_MEMBER);
	lookup(before, -32);
	emit_jump(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0), OUT);
	insert(members, -32);
	place(RECORD);
	lookup(pairs, -16);
	emit_jump(INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0), OUT);
	insert(pairs, -16);
	place(OUT);
	emit(INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
	emit(INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	for (int i = 0; i < nfixups; i++) prog[fixups[i].insn].off = (int16_t)(label_at[fixups[i].label] - fixups[i].insn - 1);

	union bpf_attr attr;
	static char log[65536];
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)insns;
	attr.license = (uint64_t)(uintptr_t) "Dual BSD/GPL";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof log;
	attr.log_level = 1;
	int fd = (int)bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0) {
		fprintf(stderr, "%s", log);
		fail("the kernel refused the BPF program");
	}
	memset(&attr, 0, sizeof attr);
	attr.raw_tracepoint.name = (uint64_t)(uintptr_t) "sys_enter";
	attr.raw_tracepoint.prog_fd = fd;
	if (bpf(BPF_RAW_TRACEPOINT_OPEN, &attr) < 0) fail("cannot attach to the raw tracepoint sys_enter");

	printf("ready\n");
	fflush(stdout);
	char line[256];
	while (fgets(line, sizeof line, stdin) != NULL) take(pairs, strtoull(line, NULL, 10));
	return 0;
}

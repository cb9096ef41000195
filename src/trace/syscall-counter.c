/*
 * loupe-syscall-counter: records, in the kernel, which syscalls the processes of each cgroup
 * execute, for cgroups whose id is above a given one (those loupe creates for its runs).
 *
 *   loupe-syscall-counter MIN_CGROUP_ID
 *       loads a small eBPF program on the raw tracepoint `sys_enter` and writes `ready` on
 *       stdout; then, for every line read on stdin and once more when stdin is closed, writes
 *       one line `CGROUP_ID SYSCALL_NR` per pair seen so far, then `end`. Exits 0 after the last
 *       dump. Errors: a message on stderr and exit 1.
 *
 * The program adds (cgroup v2 id of the current task, syscall number) to a hash map the first
 * time the pair occurs; later calls cost one map lookup. No tracer, no ptrace stop, nothing
 * the application can see. sys_enter fires after seccomp (kernel/entry/common.c,
 * syscall_trace_enter), so calls a seccomp filter stubs or fakes are not seen.
 *
 * The program is written in eBPF instructions here rather than compiled, so the helper needs
 * no compiler, no BTF and no tracefs at run time, and starts in milliseconds. Needs root
 * (CAP_BPF and CAP_PERFMON), Linux >= 4.18 (raw tracepoints, bpf_get_current_cgroup_id).
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

struct key {
	uint64_t cgroup;
	uint64_t nr;
};

static void dump(int map) {
	union bpf_attr attr;
	struct key key, next;
	int first = 1;
	for (;;) {
		memset(&attr, 0, sizeof attr);
		attr.map_fd = map;
		attr.key = first ? 0 : (uint64_t)(uintptr_t)&key;
		attr.next_key = (uint64_t)(uintptr_t)&next;
		if (bpf(BPF_MAP_GET_NEXT_KEY, &attr) < 0) {
			if (errno == ENOENT) break;
			fail("cannot read the BPF map");
		}
		printf("%llu %llu\n", (unsigned long long)next.cgroup, (unsigned long long)next.nr);
		key = next;
		first = 0;
	}
	printf("end\n");
	if (fflush(stdout) != 0) fail("cannot write");
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: loupe-syscall-counter MIN_CGROUP_ID\n");
		return 2;
	}
	uint64_t min_cgroup = strtoull(argv[1], NULL, 10);

	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.map_type = BPF_MAP_TYPE_HASH;
	attr.key_size = sizeof(struct key);
	attr.value_size = sizeof(uint64_t);
	attr.max_entries = MAX_PAIRS;
	attr.map_flags = BPF_F_NO_PREALLOC;
	int map = (int)bpf(BPF_MAP_CREATE, &attr);
	if (map < 0) fail("cannot create the BPF map");

	/* ctx of a raw tracepoint: u64 args[]; sys_enter(struct pt_regs *regs, long id): args[1] = id. */
	struct bpf_insn prog[] = {
		/* 0 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),
		/* 1 */ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_cgroup_id),
		/* 2 */ LD_IMM64(BPF_REG_1, 0, min_cgroup),
		/* 4 */ INSN(BPF_JMP | BPF_JLE | BPF_X, BPF_REG_0, BPF_REG_1, 18, 0), /* -> 23 */
		/* 5 */ INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -16, 0),
		/* 6 */ INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_6, 8, 0),
		/* 7 */ INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, -8, 0),
		/* 8 */ LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_FD, map),
		/* 10 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		/* 11 */ INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -16),
		/* 12 */ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		/* 13 */ INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 9, 0), /* seen already -> 23 */
		/* 14 */ INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -24, 1),
		/* 15 */ LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_FD, map),
		/* 17 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		/* 18 */ INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -16),
		/* 19 */ INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
		/* 20 */ INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -24),
		/* 21 */ INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_ANY),
		/* 22 */ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem),
		/* 23 */ INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		/* 24 */ INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[65536];
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = sizeof prog / sizeof prog[0];
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
	while (fgets(line, sizeof line, stdin) != NULL) dump(map);
	dump(map);
	return 0;
}

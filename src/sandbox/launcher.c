/*
 * loupe-launch: installs a seccomp-BPF program built by loupe (src/sandbox/bpf.ts) and
 * executes the application under it. No tracer: perturbation happens in the kernel.
 *
 *   loupe-launch --loupe-filter-file=FILTER PROGRAM [ARGS...]
 *       explicit mode: the whole process tree of PROGRAM is perturbed.
 *   (bound mode) when bind-mounted over the analysed binary in a mount namespace (--only-consider),
 *       it is started under the binary's own name by whatever runs it (e.g. a test driver):
 *       it reads the filter from SANDBOX_DIR/filter.bpf and executes the real binary, bound at
 *       SANDBOX_DIR/target, so only processes running that binary are perturbed.
 *
 * The program's path is passed to execve from a page at a fixed address: the filter exempts
 * execve calls whose first argument is that address, so that stubbing execve does not stop
 * this launcher from starting the application. Every run, the unperturbed ones included, starts
 * through here (with a filter that allows everything when nothing is perturbed).
 *
 * Runs whose syscalls are recorded (src/trace/syscall-counter.c) have a non-empty
 * SANDBOX_DIR/cgroup. Just before installing the filter, the launcher makes the marker syscall
 * RECORD_MARKER_NR, from which on the recorder counts this process and its children (after the
 * marker it only calls seccomp and execve). In explicit mode the whole sandbox already runs in
 * the run's cgroup (the file holds "-"); in bound mode the file names the cgroup's cgroup.procs,
 * which each launched process joins first, as the test driver around it runs elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SANDBOX_DIR "/run/loupe-sandbox" /* equal to SANDBOX_DIR in bwrap.ts (test/unit/launcher-constants.test.ts) */
#define EXEC_PATH_ADDRESS 0x5ec0d0000UL /* equal to LAUNCHER_EXEC_PATH_ADDRESS in bwrap.ts (test/unit/launcher-constants.test.ts) */
#define FILTER_FLAG "--loupe-filter-file="
#define MAX_FILTER_BYTES (4096 * 8)
/* A syscall number no kernel implements (-ENOSYS); equal to RECORD_MARKER_NR in src/trace/syscall-counter.c. */
#define RECORD_MARKER_NR 0x3ffe10cb

extern char **environ;

static void die(const char *what, const char *detail) {
	fprintf(stderr, "loupe-launch: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "", strerror(errno));
	_exit(127);
}

/* A failure here loses only the record, never the run: the engine sees an empty record. */
static void mark_recorded_run(void) {
	static char procs[4096];
	int fd = open(SANDBOX_DIR "/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0) return;
	ssize_t n = read(fd, procs, sizeof procs - 1);
	close(fd);
	if (n <= 0) return;
	procs[n] = '\0';
	if (strcmp(procs, "-") != 0) {
		/* Left open (close-on-exec): closing it would be one more syscall. */
		int cg = open(procs, O_WRONLY | O_CLOEXEC);
		if (cg < 0 || write(cg, "0", 1) != 1) fprintf(stderr, "loupe-launch: cannot join cgroup %s: %s\n", procs, strerror(errno));
	}
	syscall(RECORD_MARKER_NR);
}

static void install_filter(const char *path) {
	static struct sock_filter insns[MAX_FILTER_BYTES / 8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) die("cannot open filter", path);
	ssize_t n = read(fd, insns, sizeof insns);
	if (n <= 0 || n % 8 != 0) die("bad filter file", path);
	close(fd);
	struct sock_fprog prog = { .len = (unsigned short)(n / 8), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(PR_SET_NO_NEW_PRIVS)", NULL);
	mark_recorded_run();
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) die("seccomp(SECCOMP_SET_MODE_FILTER)", NULL);
}

/*
 * Copies the program's path to the page at the fixed address. Done before the filter is
 * installed: afterwards the launcher makes no system call but its exempt execve, so that an
 * experiment on mmap (or any other syscall) judges the application, never the launcher.
 */
static char *path_at_fixed_address(const char *program) {
	static char found[4096];
	if (strchr(program, '/') == NULL) {
		/* A bare name (a wrapper such as strace) is looked up on PATH, like execvp would. */
		const char *path = getenv("PATH");
		for (const char *dir = path ? path : "/usr/bin:/bin"; *dir;) {
			size_t n = strcspn(dir, ":");
			if (n > 0 && snprintf(found, sizeof found, "%.*s/%s", (int)n, dir, program) < (int)sizeof found &&
			    access(found, X_OK) == 0) {
				program = found;
				break;
			}
			dir += n + (dir[n] == ':');
		}
	}
	size_t len = strlen(program) + 1;
	char *page = mmap((void *)EXEC_PATH_ADDRESS, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (page != (void *)EXEC_PATH_ADDRESS) die("cannot map the exec path page", NULL);
	memcpy(page, program, len);
	return page;
}

static void install_and_exec(const char *filter_path, const char *program, char **argv) {
	char *path = path_at_fixed_address(program);
	install_filter(filter_path);
	execve(path, argv, environ);
	die("cannot execute", program);
}

int main(int argc, char **argv) {
	if (argc >= 3 && strncmp(argv[1], FILTER_FLAG, strlen(FILTER_FLAG)) == 0) {
		install_and_exec(argv[1] + strlen(FILTER_FLAG), argv[2], argv + 2);
	}
	install_and_exec(SANDBOX_DIR "/filter.bpf", SANDBOX_DIR "/target", argv);
	return 127;
}

/*
 * loupe-isolate: gives one run a copy-on-write view of the machine's files, then starts the
 * run's sandbox (bwrap) in it and holds that view until it is killed.
 *
 *   loupe-isolate [OPERATION...] -- COMMAND [ARGS...]
 *
 * Operations, carried out in order in a private mount namespace (nothing reaches the host's):
 *   --tmpfs DIR                          mount a fresh tmpfs on DIR (the run's writable storage)
 *   --mkdir DIR                          create the folder DIR
 *   --overlay LOWER UPPER WORK TARGET    overlayfs of LOWER on TARGET; writes land in UPPER
 *                                        (UPPER and WORK are created)
 *   --rbind SOURCE TARGET                recursive bind (pseudo filesystems, read-only mounts,
 *                                        paths opted out with --writable)
 *   --bind SOURCE TARGET                 non-recursive bind
 *   --copy SOURCE COPY TARGET            copy the file SOURCE to COPY and bind COPY on TARGET
 *                                        (a writable file mount: overlayfs needs folders)
 *   --cgroup DIR                         start COMMAND in the cgroup v2 folder DIR, created there
 *                                        by clone3(CLONE_INTO_CGROUP): no process moves (a run
 *                                        whose syscalls are recorded, src/trace/syscall-counter.c);
 *                                        where the kernel refuses (before Linux 5.7), a plain fork
 *                                        and a message: the run goes on unrecorded
 * The plan is made by src/sandbox/isolation.ts from /proc/self/mountinfo.
 *
 * COMMAND runs as a child. Without fd 4, the helper exits with COMMAND's status. With fd 4
 * open, one line "exit N" or "signal N" is written there when COMMAND ends; the helper then
 * waits to be killed, so that the mount namespace, and with it
 * the files the run wrote, outlive the application for the test script (which joins this
 * namespace with --enter) and for --keep-writes. It dies with its parent (PR_SET_PDEATHSIG).
 *
 *   loupe-isolate --enter MOUNT_NS NET_NS|- ROOT WORKDIR -- COMMAND [ARGS...]
 *
 * runs COMMAND (the test script) in a run's mount namespace, chrooted to its view of the files
 * and in WORKDIR there, and in its network namespace unless NET_NS is "-": what `nsenter --mount
 * --net --root --wd` does, without loading a dynamically linked tool for every test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STATUS_FD 4

/* The --cgroup folder, opened; -1 without. */
static int cgroup_fd = -1;

static void die(const char *what, const char *detail) {
	fprintf(stderr, "loupe-isolate: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "", strerror(errno));
	_exit(125);
}

/* overlayfs option values: ',' ':' and '\' are escaped with a backslash. */
static void append_escaped(char *out, size_t size, size_t *used, const char *path) {
	for (const char *p = path; *p; p++) {
		if (*used + 3 >= size) {
			errno = ENAMETOOLONG;
			die("overlay options too long for", path);
		}
		if (*p == ',' || *p == ':' || *p == '\\') out[(*used)++] = '\\';
		out[(*used)++] = *p;
	}
	out[*used] = '\0';
}

static void overlay(const char *lower, const char *upper, const char *work, const char *target) {
	static char options[3 * 4096 + 64];
	size_t used = 0;
	if (mkdir(upper, 0755) != 0 && errno != EEXIST) die("mkdir", upper);
	if (mkdir(work, 0700) != 0 && errno != EEXIST) die("mkdir", work);
	const char *parts[][2] = { { "lowerdir=", lower }, { ",upperdir=", upper }, { ",workdir=", work } };
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(parts[i][0]);
		if (used + n >= sizeof options) die("overlay options too long for", lower);
		memcpy(options + used, parts[i][0], n + 1);
		used += n;
		append_escaped(options, sizeof options, &used, parts[i][1]);
	}
	if (mount("overlay", target, "overlay", 0, options) != 0) die("cannot mount a copy-on-write overlay of", lower);
}

static void copy_file(const char *source, const char *copy) {
	char buffer[65536];
	struct stat st;
	int in = open(source, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) != 0) die("cannot read", source);
	int out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0) die("cannot create", copy);
	for (;;) {
		ssize_t n = read(in, buffer, sizeof buffer);
		if (n < 0) die("cannot read", source);
		if (n == 0) break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buffer + done, (size_t)(n - done));
			if (w < 0) die("cannot write", copy);
			done += w;
		}
	}
	close(in);
	close(out);
}

/*
 * A mount planned from mountinfo may be gone by the time the run starts: Docker unmounts and
 * removes a container's overlay2 `merged` folder when the container ends. Nothing is there to
 * show or protect, so its operation is skipped, as a plan made a moment later would have left it out.
 */
static int gone(const char *source) {
	struct stat st;
	return lstat(source, &st) != 0 && errno == ENOENT;
}

static int operation(char **argv, int i, int argc) {
	const char *op = argv[i];
#define NEED(n) if (i + (n) >= argc) { errno = EINVAL; die("missing arguments of", op); }
	if (strcmp(op, "--tmpfs") == 0) {
		NEED(1);
		if (mount("tmpfs", argv[i + 1], "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) die("cannot mount tmpfs on", argv[i + 1]);
		return 2;
	}
	if (strcmp(op, "--mkdir") == 0) {
		NEED(1);
		if (mkdir(argv[i + 1], 0755) != 0 && errno != EEXIST) die("mkdir", argv[i + 1]);
		return 2;
	}
	if (strcmp(op, "--overlay") == 0) {
		NEED(4);
		if (!gone(argv[i + 1])) overlay(argv[i + 1], argv[i + 2], argv[i + 3], argv[i + 4]);
		return 5;
	}
	if (strcmp(op, "--rbind") == 0 || strcmp(op, "--bind") == 0) {
		NEED(2);
		unsigned long flags = MS_BIND | (op[2] == 'r' ? MS_REC : 0);
		if (gone(argv[i + 1])) return 3;
		if (mount(argv[i + 1], argv[i + 2], NULL, flags, NULL) != 0) die("cannot bind", argv[i + 1]);
		return 3;
	}
	if (strcmp(op, "--cgroup") == 0) {
		NEED(1);
		cgroup_fd = open(argv[i + 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd < 0) die("cannot open the cgroup", argv[i + 1]);
		return 2;
	}
	if (strcmp(op, "--copy") == 0) {
		NEED(3);
		if (gone(argv[i + 1])) return 4;
		copy_file(argv[i + 1], argv[i + 2]);
		if (mount(argv[i + 2], argv[i + 3], NULL, MS_BIND, NULL) != 0) die("cannot bind a copy on", argv[i + 3]);
		return 4;
	}
	errno = EINVAL;
	die("unknown operation", op);
	return 0;
}

/* fork(), in the --cgroup folder when there is one. */
static pid_t start_child(void) {
	if (cgroup_fd >= 0) {
		struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup_fd };
		long pid = syscall(SYS_clone3, &args, sizeof args);
		if (pid >= 0) return (pid_t)pid;
		fprintf(stderr, "loupe-isolate: cannot start the run in its cgroup (its syscalls are not recorded): %s\n", strerror(errno));
	}
	return fork();
}

static int enter(int argc, char **argv) {
	if (argc < 8 || strcmp(argv[6], "--") != 0) {
		errno = EINVAL;
		die("usage: --enter MOUNT_NS NET_NS|- ROOT WORKDIR -- COMMAND", NULL);
	}
	/* Every path is opened before any namespace is entered: they name the run's files from here. */
	int mnt = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (mnt < 0) die("cannot open", argv[2]);
	int net = strcmp(argv[3], "-") == 0 ? -1 : open(argv[3], O_RDONLY | O_CLOEXEC);
	if (net < 0 && strcmp(argv[3], "-") != 0) die("cannot open", argv[3]);
	int root = open(argv[4], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) die("cannot open", argv[4]);
	int wd = open(argv[5], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wd < 0) die("cannot open", argv[5]);
	if (net >= 0 && setns(net, CLONE_NEWNET) != 0) die("cannot enter the network namespace", argv[3]);
	if (setns(mnt, CLONE_NEWNS) != 0) die("cannot enter the mount namespace", argv[2]);
	if (fchdir(root) != 0 || chroot(".") != 0) die("cannot change root to", argv[4]);
	if (fchdir(wd) != 0) die("cannot change directory to", argv[5]);
	execvp(argv[7], argv + 7);
	die("cannot execute", argv[7]);
	return 127;
}

/* Closes every descriptor above `fd` (close_range, Linux >= 5.9; a loop before). */
static void close_above(int fd) {
	if (syscall(SYS_close_range, fd + 1, ~0U, 0) != 0)
		for (int other = fd + 1; other < 1024; other++) close(other);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--enter") == 0) return enter(argc, argv);
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("prctl(PR_SET_PDEATHSIG)", NULL);
	if (getppid() != parent) _exit(125);
	if (unshare(CLONE_NEWNS) != 0) die("unshare(CLONE_NEWNS)", "(loupe needs root or CAP_SYS_ADMIN)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("cannot make the mount namespace private", NULL);
	int i = 1;
	while (i < argc && strcmp(argv[i], "--") != 0) i += operation(argv, i, argc);
	if (i + 1 >= argc) {
		errno = EINVAL;
		die("no command after --", NULL);
	}
	int hold = fcntl(STATUS_FD, F_GETFD) >= 0;
	pid_t child = start_child();
	if (child < 0) die("fork", NULL);
	if (child == 0) {
		fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC);
		/* Descriptors loupe itself inherited (a terminal's, a CI runner's pipe) must not reach the
		   application: every run would see one more, its descriptor counts too. bwrap needs 3. */
		close_above(STATUS_FD);
		execvp(argv[i + 1], argv + i + 1);
		die("cannot execute", argv[i + 1]);
	}
	/* Only the status pipe stays open here: the sandbox's info pipe must end when the sandbox ends. */
	close(3);
	close_above(STATUS_FD);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR) die("waitpid", NULL);
	if (!hold) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	dprintf(STATUS_FD, WIFEXITED(status) ? "exit %d\n" : "signal %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	close(STATUS_FD);
	for (;;) pause();
}

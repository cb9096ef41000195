/* The workload executes a set-user-ID program (a copy of this one owned by nobody) that the
 * analysed binary is not: it is found in discovery's trace, and refused with the same error.
 *
 * @kind sequential
 * @setup setuid-copy suid-child 65534
 * @args ./suid-child
 * @expect-error 3 suid-child \(executed by the workload\) is set-user-ID.*no_new_privs
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2) return geteuid() == 65534 ? 0 : 1;
	pid_t pid = fork();
	if (pid == 0) {
		char *child[] = { argv[1], NULL };
		execv(argv[1], child);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 2;
	puts("ok");
	return 0;
}

/* posix_spawn: glibc clones with CLONE_VM|CLONE_VFORK (clone3 first, clone when clone3 says
 * ENOSYS), then the child executes the program.
 *
 * clone3 stubbed: the fallback to clone works. clone3 faked: the parent takes the child's path.
 * execve is the child's call (it counts for this program, which made the child): stubbed, the
 * spawn reports the error; faked, the child goes on without a new program and exits with 127.
 *
 * @kind sequential
 * @expect clone3 stubOnly
 * @fallback clone3 clone
 * @expect execve required
 * @expect wait4 required
 * @no-inject execve strace would perturb its own start of the program too
 */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;

int main(void) {
	char *argv[] = { "true", NULL };
	pid_t pid;
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) return 1;
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 2;
	puts("ok");
	return 0;
}

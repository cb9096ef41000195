/* vfork: the child runs in the parent's memory until it exits.
 *
 * Stubbed, vfork fails and the program gives up. Faked, vfork returns 0 in the parent, which
 * then takes the child's path and exits with the child's status (7): required.
 *
 * @kind sequential
 * @expect vfork required
 * @expect wait4 required
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	pid_t pid = vfork();
	if (pid < 0) return 1;
	if (pid == 0) _exit(7);
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7) return 2;
	puts("ok");
	return 0;
}

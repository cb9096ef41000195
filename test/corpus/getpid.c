/* ENOSYS from getpid is handled (a pid of -1 is taken as "unknown"), but a pid of 0 is nonsense
 * and stops the program.
 *
 * @kind sequential
 * @expect getpid stubOnly
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	long pid = syscall(SYS_getpid);
	if (pid == 0) return 1;
	puts("ok");
	return 0;
}

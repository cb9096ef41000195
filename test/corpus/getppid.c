/* The result of getppid is ignored: it can be stubbed or faked.
 *
 * @kind sequential
 * @expect getppid both
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	(void)syscall(SYS_getppid);
	puts("ok");
	return 0;
}
